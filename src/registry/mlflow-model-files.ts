/**
 * The files that make a registered ONNX version an MLflow Model, so MLflow's own clients load it
 * (`mlflow.pyfunc.load_model("models:/<name>@champion")`, `mlflow.onnx.load_model`): `MLmodel`
 * with the `onnx` and `python_function` flavors and the graph's tensor signature, and the
 * environment files MLflow writes beside it. The layout follows what `mlflow.onnx.save_model`
 * writes (MLflow 3.x); requirements are lower bounds, since the loading side picks versions.
 */
import { stringify } from 'yaml';
import type { TensorSignature } from '../model/scoring-model.js';

export interface MlflowModelFiles {
  /** File name (inside the version's `model/` directory) → content. */
  [name: string]: string;
}

const REQUIREMENTS = ['mlflow>=2.10', 'onnx>=1.15', 'onnxruntime>=1.17', 'numpy'];
const PYTHON_VERSION = '3.11';

/** onnxruntime's element type names → the numpy dtype names MLflow's TensorSpec uses. */
const DTYPES: Record<string, string> = {
  float32: 'float32', float64: 'float64', float16: 'float16', int64: 'int64', int32: 'int32', int16: 'int16', int8: 'int8',
  uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64', bool: 'bool', string: 'object',
};

export function mlflowOnnxModelFiles(options: { modelFile: string; sizeBytes: number; sha256: string; tensors: { inputs: TensorSignature[]; outputs: TensorSignature[] }; createdAt: Date }): MlflowModelFiles {
  const spec = (tensors: TensorSignature[]) =>
    JSON.stringify(tensors.filter((t) => DTYPES[t.type] !== undefined).map((t) => ({ name: t.name, type: 'tensor', 'tensor-spec': { dtype: DTYPES[t.type], shape: t.shape } })));
  const mlmodel = {
    artifact_path: 'model',
    flavors: {
      onnx: { code: null, data: options.modelFile, onnx_session_options: null, providers: ['CPUExecutionProvider'] },
      python_function: {
        data: options.modelFile,
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
        loader_module: 'mlflow.onnx',
        python_version: PYTHON_VERSION,
      },
    },
    is_signature_from_type_hint: false,
    model_size_bytes: options.sizeBytes,
    // Derived from the bytes, so registering the same model again writes the same file.
    model_uuid: options.sha256.slice(0, 32),
    signature: { inputs: spec(options.tensors.inputs), outputs: spec(options.tensors.outputs), params: null },
    utc_time_created: options.createdAt.toISOString().replace('T', ' ').replace('Z', ''),
  };
  return {
    MLmodel: stringify(mlmodel),
    'requirements.txt': `${REQUIREMENTS.join('\n')}\n`,
    'python_env.yaml': stringify({ python: PYTHON_VERSION, build_dependencies: ['pip', 'setuptools', 'wheel'], dependencies: ['-r requirements.txt'] }),
    'conda.yaml': stringify({ channels: ['conda-forge'], dependencies: [`python=${PYTHON_VERSION}`, 'pip', { pip: REQUIREMENTS }], name: 'mlflow-env' }),
  };
}
