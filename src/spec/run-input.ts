/**
 * What starts a `modelPipeline` run: from the CLI, a webhook, a schedule, or a human typing JSON
 * into the Temporal UI's Start Workflow form. Pure, so the workflow checks it before any step.
 */
import { z } from 'zod';

export const TRIGGERS = ['cli', 'ui', 'webhook', 'schedule', 'drift', 'performance', 'api'] as const;

export const PipelineRunInput = z
  .strictObject({
    /** Path of the YAML definition, as the worker sees it (relative to the worker's directory). */
    pipelineFile: z.string().min(1).optional(),
    /** The definition itself: YAML text or an object. */
    pipeline: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
    /** Who started the run; runs started by hand in the Web UI default to `ui`. */
    trigger: z.enum(TRIGGERS).default('ui'),
    /** Data version the starter saw; the run fails if the snapshot differs (the data changed). */
    expectedDataVersion: z.string().regex(/^[0-9a-f]{16,64}$/).optional(),
    /**
     * Train on this object (the one a new-data event named, at its S3 version or GCS generation)
     * instead of what `data.source` names. The worker policy's data roots still decide whether it may be read.
     */
    dataObject: z
      .strictObject({
        bucket: z.string().min(1).max(63),
        key: z.string().min(1).max(1024),
        versionId: z.string().min(1).max(1024).optional(),
        generation: z.string().regex(/^[1-9][0-9]{0,18}$/, { error: 'expected a GCS generation (digits)' }).optional(),
      })
      .refine((object) => object.versionId === undefined || object.generation === undefined, { error: 'expected a versionId (S3) or a generation (GCS), not both' })
      .optional(),
  })
  .refine((input) => (input.pipelineFile === undefined) !== (input.pipeline === undefined), {
    error: 'expected exactly one of "pipelineFile" (a path) or "pipeline" (the definition itself)',
  });

export type PipelineRunInput = z.input<typeof PipelineRunInput>;
export type ParsedPipelineRunInput = z.output<typeof PipelineRunInput>;

export function pipelineWorkflowId(model: string, dataVersion: string): string {
  return `pipeline/${model}/${dataVersion}`;
}
