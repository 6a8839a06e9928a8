import { describe, expect, it } from 'vitest';
import { PipelineRunInput } from '../../../src/spec/run-input.js';

const base = { pipelineFile: 'p.yaml', trigger: 'webhook' as const };
const problems = (input: unknown) => {
  const parsed = PipelineRunInput.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('PipelineRunInput.dataObject', () => {
  it('takes an S3 version or a GCS generation of the object a new-data event named', () => {
    expect(problems({ ...base, dataObject: { bucket: 'landing', key: 'fraud/day.csv', versionId: 'v7' } })).toEqual([]);
    expect(problems({ ...base, dataObject: { bucket: 'landing-eu', key: 'fraud/day.csv', generation: '1764806400123456' } })).toEqual([]);
  });

  it('refuses a generation that is not digits (it goes into the request to the store) and both kinds at once', () => {
    expect(problems({ ...base, dataObject: { bucket: 'b', key: 'k.csv', generation: '1&x-id=DeleteObject' } })).toEqual(['dataObject.generation: expected a GCS generation (digits)']);
    expect(problems({ ...base, dataObject: { bucket: 'b', key: 'k.csv', versionId: 'v1', generation: '5' } })).toEqual(['dataObject: expected a versionId (S3) or a generation (GCS), not both']);
  });
});
