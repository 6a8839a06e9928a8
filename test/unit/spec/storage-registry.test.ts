import { describe, expect, it } from 'vitest';
import { parseDefinitionText } from '../../../src/spec/load.js';

const definition = (extra: string) => `model: fraud
data: { source: data.csv, target: is_fraud }
${extra}`;

describe('storage shared between hosts and the registry', () => {
  it('refuses the embedded (one-host SQLite) registry with s3:// storage, naming the line and what to use', () => {
    const text = definition('storage: { url: s3://models/mlops, endpoint: http://127.0.0.1:8333 }\nregistry: { kind: embedded }');
    expect(() => parseDefinitionText(text, 'pipeline.yaml')).toThrow(/line 4: registry\.kind: the embedded registry is a SQLite file on one host .*use registry: \{ kind: mlflow/);
    // The default registry is the embedded one: leaving it out is the same mistake.
    expect(() => parseDefinitionText(definition('storage: { url: s3://models/mlops }'))).toThrow(/registry\.kind: the embedded registry/);
  });

  it('takes s3:// storage with the MLflow registry, and the embedded registry with file:// storage', () => {
    const shared = parseDefinitionText(definition('storage: { url: s3://models/mlops }\nregistry: { kind: mlflow, trackingUri: "http://127.0.0.1:5000" }')).definition;
    expect(shared.registry.kind).toBe('mlflow');
    const local = parseDefinitionText(definition('storage: { url: "file:///srv/mlops" }')).definition;
    expect(local.registry.kind).toBe('embedded');
  });
});
