/**
 * Opens a model file as a ScoringModel, whatever its format: the bytes decide (a JSON object is
 * our linear model, anything else must be an ONNX protobuf), so a registry version or a trainer
 * output needs no format tag to be read, and a renamed file cannot be misread.
 */
import { parseLinearArtifact, readVerifiedBytes } from '../train/artifact-file.js';
import { linearScoringModel } from './linear-scoring-model.js';
import { onnxScoringModel } from './onnx-scoring-model.js';
import type { ModelFormat, ScoringModel } from './scoring-model.js';

/** The file names a trainer may leave in `<output>/model/`, by format. */
export const MODEL_FILE_NAMES: Record<ModelFormat, string> = { linear: 'model.json', onnx: 'model.onnx' };

export interface OpenedModel {
  model: ScoringModel;
  sha256: string;
  sizeBytes: number;
}

/** Reads, hash-checks (when `expectedSha256` is given) and opens a model file. */
export async function openScoringModel(file: string, expectedSha256?: string): Promise<OpenedModel> {
  const { bytes, sha256 } = await readVerifiedBytes(file, expectedSha256);
  return { model: await scoringModelOf(file, bytes), sha256, sizeBytes: bytes.length };
}

/** Opens bytes already read (`file` names them in errors). */
export async function scoringModelOf(file: string, bytes: Uint8Array): Promise<ScoringModel> {
  return modelFormatOf(bytes) === 'linear' ? linearScoringModel(parseLinearArtifact(file, bytes)) : onnxScoringModel(file, bytes);
}

/** A JSON object (after optional whitespace or BOM) is ours; everything else is tried as ONNX. */
export function modelFormatOf(bytes: Uint8Array): ModelFormat {
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (at < bytes.length && (bytes[at] === 0x20 || bytes[at] === 0x0a || bytes[at] === 0x0d || bytes[at] === 0x09)) at++;
  return bytes[at] === 0x7b ? 'linear' : 'onnx';
}
