/**
 * What a column's source type (DuckDB's type name, kept in `Column.sourceType`) says about
 * its values. Shared by loading (which types become numeric), writing (which SQL type to
 * write back) and contracts (what "integer" and "boolean" mean).
 */

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);
const DECIMAL_TYPE = /^DECIMAL\(\d+,\s*\d+\)$/;

export function isIntegerSourceType(sourceType: string): boolean {
  return INTEGER_TYPES.has(sourceType);
}

export function isBooleanSourceType(sourceType: string): boolean {
  return sourceType === 'BOOLEAN';
}

/** Types that DuckDB casts to DOUBLE without losing their meaning; they load as numeric columns. */
export function isNumericSourceType(sourceType: string): boolean {
  return isIntegerSourceType(sourceType) || isBooleanSourceType(sourceType) || sourceType === 'FLOAT' || sourceType === 'DOUBLE' || DECIMAL_TYPE.test(sourceType);
}
