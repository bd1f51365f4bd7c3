/**
 * The one place where values become SQL text. Everything a user or a config file supplies reaches a statement
 * through these functions; identifiers never do (they come from catalogues in code).
 */
export class UnsafeSqlValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeSqlValueError';
  }
}

export function sqlString(value: string): string {
  // A NUL byte cannot be represented in either engine's string literal and would truncate the statement.
  if (value.includes('\u0000')) throw new UnsafeSqlValueError('string value contains a NUL byte');
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new UnsafeSqlValueError(`not a finite number: ${value}`);
  // Plain decimal notation: both engines read it as DECIMAL or DOUBLE; exponent notation would be DOUBLE in Trino
  // but is fine in DuckDB, so avoid the difference.
  if (Number.isInteger(value)) return String(value);
  return `CAST(${sqlString(String(value))} AS double)`;
}

export function sqlInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new UnsafeSqlValueError(`not a safe integer: ${value}`);
  return String(value);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isValidIsoDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

export function sqlDate(value: string): string {
  if (!isValidIsoDate(value)) throw new UnsafeSqlValueError(`not a calendar date (YYYY-MM-DD): ${value}`);
  return `DATE '${value}'`;
}

export function sqlTimestamp(value: Date): string {
  if (Number.isNaN(value.getTime())) throw new UnsafeSqlValueError('invalid timestamp');
  return `TIMESTAMP '${value.toISOString().replace('T', ' ').replace('Z', '')}'`;
}

export function sqlBoolean(value: boolean): string {
  return value ? 'true' : 'false';
}


/** An exact decimal literal (for rates and money), so that sums and products do not depend on float rounding. */
export function sqlDecimal(value: number, precision: number, scale: number): string {
  if (!Number.isFinite(value)) throw new UnsafeSqlValueError(`not a finite number: ${value}`);
  return `CAST(${sqlString(value.toFixed(scale))} AS decimal(${sqlInteger(precision)}, ${sqlInteger(scale)}))`;
}
