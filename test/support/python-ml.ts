/**
 * The Python that runs scikit-learn trainers, MLflow's Python client and tritonclient in tests:
 * the MLflow virtualenv, which scripts/mlflow install builds with those packages pinned.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { mlflowUnavailableReason } from './mlflow-server.js';

export const PYTHON_ML = path.resolve(import.meta.dirname, '../../.tools/mlflow/bin/python');
export const SKLEARN_EXAMPLE_TRAINER = path.resolve(import.meta.dirname, '../../examples/sklearn/train.py');

/** Why the Python tools are missing (after trying to install them), or undefined when they are there. */
export async function pythonMlUnavailableReason(testName: string): Promise<string | undefined> {
  const reason = await mlflowUnavailableReason(testName);
  if (reason !== undefined) return reason;
  return existsSync(PYTHON_ML) ? undefined : `${PYTHON_ML} is missing after scripts/mlflow install`;
}
