import { describe, expect, it } from 'vitest';
import { parseDataSource } from '../../../src/data/data-source-url.js';
import { parseDefinitionObject } from '../../../src/spec/load.js';
import { SpecError } from '../../../src/spec/spec-error.js';
import { checkDataSource } from '../../../src/policy/check-pipeline.js';
import { permissiveWorkerPolicy, resolveWorkerPolicy } from '../../../src/policy/worker-policy.js';

function problemsOf(definition: unknown): string[] {
  try {
    parseDefinitionObject(definition, '<test>', '/defs');
  } catch (err) {
    if (err instanceof SpecError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('data.source', () => {
  it('is a file path, one S3 object, or an S3 prefix (trailing slash)', () => {
    expect(parseDataSource('data/day1.csv')).toEqual({ kind: 'file', path: 'data/day1.csv' });
    expect(parseDataSource('s3://landing/fraud/day1.parquet')).toEqual({ kind: 's3-object', bucket: 'landing', key: 'fraud/day1.parquet' });
    expect(parseDataSource('s3://landing/fraud/2026-01/')).toEqual({ kind: 's3-prefix', bucket: 'landing', prefix: 'fraud/2026-01/' });
    expect(parseDataSource('s3://landing/')).toEqual({ kind: 's3-prefix', bucket: 'landing', prefix: '' });
  });

  it('refuses other URLs and malformed S3 ones, saying what was expected', () => {
    expect(parseDataSource('gs://landing/x.csv')).toMatch(/^expected a path to a CSV or Parquet file, s3:\/\/bucket\/key \(one object\) or s3:\/\/bucket\/prefix\/ /);
    expect(parseDataSource('s3://landing')).toMatch(/^expected s3:\/\/landing\/key \(one object\) or s3:\/\/landing\/prefix\//);
    expect(parseDataSource('s3://Landing/x.csv')).toMatch(/bucket name of 3 to 63 lower-case letters/);
    expect(parseDataSource('s3://landing/a/../b.csv')).toMatch(/must not contain '\/\/', '\.' or '\.\.' parts/);
    expect(parseDataSource('s3://landing/a//b.csv')).toMatch(/must not contain/);
  });

  it('is checked by the definition schema, naming the field; s3:// stays as written, paths resolve against the definition', () => {
    const base = { model: 'fraud', data: { target: 'y' } };
    expect(problemsOf({ ...base, data: { ...base.data, source: 'gs://landing/x.csv' } })).toEqual([
      'data.source: expected a path to a CSV or Parquet file, s3://bucket/key (one object) or s3://bucket/prefix/ (every Parquet and CSV part under it), got "gs://landing/x.csv"',
    ]);
    expect(problemsOf({ ...base, data: { ...base.data, source: 42 } })[0]).toMatch(/^data\.source: expected a path to a CSV or Parquet file/);
    const s3 = parseDefinitionObject({ ...base, data: { ...base.data, source: 's3://landing/fraud/' }, storage: { url: 's3://landing/mlops', endpoint: 'http://127.0.0.1:8333' }, registry: { kind: 'mlflow', trackingUri: 'http://127.0.0.1:5000' } }, '<test>', '/defs');
    expect(s3.definition.data.source).toBe('s3://landing/fraud/');
    expect(s3.definition.storage).toEqual({ url: 's3://landing/mlops', endpoint: 'http://127.0.0.1:8333' });
    expect(parseDefinitionObject({ ...base, data: { ...base.data, source: 'data.csv' } }, '<test>', '/defs').definition.data.source).toBe('/defs/data.csv');
  });

  it('refuses credentials in the storage section', () => {
    expect(problemsOf({ model: 'fraud', data: { source: 's3://landing/x.csv', target: 'y' }, storage: { url: 's3://landing', secretAccessKey: 'x' } })[0]).toMatch(/^storage\.secretAccessKey: credentials do not belong in the definition/);
  });

  it('is allowed or refused by the worker policy by s3:// roots (the permissive policy allows any bucket)', () => {
    const policy = resolveWorkerPolicy({ data: { roots: ['s3://landing/fraud'] } }, '/', 'a test policy');
    checkDataSource(policy, 's3://landing/fraud/');
    checkDataSource(policy, 's3://landing/fraud/day1.csv');
    expect(() => checkDataSource(policy, 's3://landing/churn/day1.csv')).toThrow(/data\.source: "s3:\/\/landing\/churn\/day1\.csv" is not under a data root of a test policy/);
    expect(() => checkDataSource(resolveWorkerPolicy({}, '/srv', 'the default'), 's3://landing/fraud/day1.csv')).toThrow(/not under a data root/);
    checkDataSource(permissiveWorkerPolicy(), 's3://anything/at/all.parquet');
  });
});
