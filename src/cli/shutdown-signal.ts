/**
 * The first SIGTERM or SIGINT. Long-running commands call this before they announce readiness:
 * a process manager may signal the moment it reads "listening", and a handler installed after
 * that line would let the default action kill the process without flushing its logs.
 */
export function nextShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (received: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(received);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
