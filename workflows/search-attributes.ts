/** Search-attribute keys live in the shared contract (src/temporal/search-attributes.ts); kept for older imports. */
export * from '../src/temporal/search-attributes.js';
