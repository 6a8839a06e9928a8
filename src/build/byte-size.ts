/** Docker-style sizes (`512m`, `2g`, `1.5g`, `1048576`) in bytes; the schema's ByteSize checks the form. */
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([bkmg]?)$/i.exec(text.trim());
  if (!match) throw new RangeError(`expected a size such as "512m" or "2g", got ${JSON.stringify(text)}`);
  return Math.round(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
}
