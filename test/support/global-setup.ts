// Placeholder until the Temporal dev server harness lands; unit tests need nothing.
export default async function setup(): Promise<void> {}
