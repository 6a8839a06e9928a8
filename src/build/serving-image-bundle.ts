/**
 * The serving image carries one JavaScript file: serving-image-entry.ts and what it imports
 * (model server, fastify, prom-client, zod), bundled by esbuild. No node_modules in the image,
 * so it is small and quick to build; the same sources always give the same bytes. The one
 * exception is onnxruntime-node (a native library): it stays outside the bundle, imported on
 * first use, and only images of ONNX models carry it (see serving-image.ts).
 */
import { build } from 'esbuild';

const ENTRY = new URL('./serving-image-entry.ts', import.meta.url).pathname;

let cached: Promise<Buffer> | undefined;

/** The bundle's bytes (computed once per process: the sources do not change while it runs). */
export function servingEntryBundle(): Promise<Buffer> {
  cached ??= bundle().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function bundle(): Promise<Buffer> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    write: false,
    minify: false,
    legalComments: 'none',
    external: ['onnxruntime-node'],
    logLevel: 'silent',
    // CommonJS dependencies (fastify, prom-client) call require() for Node built-ins.
    banner: { js: "import { createRequire as __mlopsCreateRequire } from 'node:module'; const require = __mlopsCreateRequire(import.meta.url);" },
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild produced no output for the serving image entry');
  return Buffer.from(file.contents);
}
