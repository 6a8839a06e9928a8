/**
 * One of several processes registering versions into the same embedded registry at once.
 * Usage: registry-concurrent-writer.ts <registryDir> <writer> <count> <artifactPath> <goFile>
 * Prints `ready` once the registry is open, waits for <goFile> to appear so all writers start
 * together, then prints the version numbers it got as one JSON line.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedRegistry } from '../../src/registry/embedded-registry.js';
import { newVersion } from './registry-fixtures.js';

const [registryDir, writer, count, artifactPath, goFile] = process.argv.slice(2);
if (!registryDir || !writer || !count || !artifactPath || !goFile) {
  console.error('usage: registry-concurrent-writer.ts <registryDir> <writer> <count> <artifactPath> <goFile>');
  process.exit(2);
}

const registry = await EmbeddedRegistry.open(registryDir, { actor: `writer-${writer}` });
console.log('ready');
while (!existsSync(goFile)) await sleep(5);

const versions: number[] = [];
for (let index = 0; index < Number(count); index += 1) {
  const registered = await registry.registerVersion(newVersion(artifactPath, { idempotencyKey: `${writer}-${index}` }));
  versions.push(registered.version);
}
await registry.close();
console.log(JSON.stringify({ writer, versions }));
