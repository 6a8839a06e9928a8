/** The workflows' messages live in the shared contract (src/temporal/contract.ts); kept for older imports. */
export * from '../src/temporal/contract.js';
