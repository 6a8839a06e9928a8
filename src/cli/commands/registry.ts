import path from 'node:path';
import { settingsFromEnv } from '../../temporal/settings.js';
import { openRegistry } from '../../registry/open-registry.js';
import { EmbeddedRegistry } from '../../registry/embedded-registry.js';
import { renderModelList, renderModelVersions, renderVersionDetail } from '../../registry/registry-report.js';

function open(opts: { registryDir?: string }) {
  const settings = settingsFromEnv();
  return openRegistry({ kind: 'embedded', path: opts.registryDir ? path.resolve(opts.registryDir) : undefined }, { dataDir: settings.dataDir });
}

export async function registryListCommand(opts: { registryDir?: string }): Promise<number> {
  const registry = await open(opts);
  try {
    console.log(renderModelList(await registry.listModels()));
    return 0;
  } finally {
    await registry.close();
  }
}

export async function registryShowCommand(model: string, version: string | undefined, opts: { registryDir?: string }): Promise<number> {
  const registry = await open(opts);
  try {
    if (version === undefined) {
      console.log(renderModelVersions(model, await registry.listVersions(model)));
      return 0;
    }
    const found = await registry.getVersion(model, Number(version));
    if (!found) {
      console.error(`no version ${version} of model "${model}"`);
      return 1;
    }
    const events = registry instanceof EmbeddedRegistry ? await registry.listEvents(model, found.version) : undefined;
    console.log(renderVersionDetail(found, events));
    return 0;
  } finally {
    await registry.close();
  }
}
