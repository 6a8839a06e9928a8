// Worker-thread entry: registers the TypeScript loader (a thread does not inherit it), then
// runs the real entry. Training is CPU-bound; in a thread, the activity keeps heartbeating.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
