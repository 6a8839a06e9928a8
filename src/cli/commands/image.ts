/** `mlops image build <pipeline.yaml> <version>`: the pipeline's build-image step, by hand. */
import { loadDefinitionFile } from '../../spec/load.js';
import { runServingImageJob } from '../../build/serving-image-job.js';
import { settingsFromEnv } from '../../temporal/settings.js';

export async function imageBuildCommand(file: string, version: number): Promise<number> {
  if (!Number.isInteger(version) || version < 1) {
    console.error(`version: expected a whole number ≥ 1, got ${version}`);
    return 2;
  }
  const { definition } = await loadDefinitionFile(file);
  const result = await runServingImageJob({
    definition,
    version,
    dataDir: settingsFromEnv().dataDir,
    heartbeat: (details) => {
      const line = (details as { line?: string }).line;
      if (line) console.error(line);
    },
  });
  console.log(`${result.reference}@${result.digest}${result.skipped ? ' (already in the registry)' : ''}`);
  return 0;
}
