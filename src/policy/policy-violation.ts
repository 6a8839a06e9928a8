/**
 * A workflow start asked for something the worker's policy does not allow: a file outside the
 * roots, an inline definition that runs code, a command or image not on the allowlist. Names
 * the field and the rule, never the content of any file. Retrying cannot help.
 */
export class PolicyViolation extends Error {
  override readonly name = 'PolicyViolation';
  constructor(readonly field: string, readonly rule: string) {
    super(`PolicyViolation: ${field}: ${rule}`);
  }
}
