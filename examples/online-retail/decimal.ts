/**
 * Exact decimal arithmetic for line amounts.
 *
 * Quantity × UnitPrice in binary floating point gives artefacts such as 3 × 0.1 = 0.30000000000000004 and rounds
 * some half-cents the wrong way, so amounts are computed on scaled integers and written as decimal strings.
 */

const PLAIN_DECIMAL = /^([+-]?)(\d+)(?:\.(\d*))?$|^([+-]?)\.(\d+)$/;

/** A decimal number as `units / 10^scale`. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** Parses a plain decimal ('12', '-3', '4.15', '2114.0', '.5'); returns null for anything else (no exponents). */
export function parseDecimal(text: string): Decimal | null {
  const m = PLAIN_DECIMAL.exec(text.trim());
  if (!m) return null;
  const sign = m[1] ?? m[4] ?? '';
  const whole = m[2] ?? '0';
  const frac = m[3] ?? m[5] ?? '';
  const units = BigInt(whole + frac) * (sign === '-' ? -1n : 1n);
  return { units, scale: frac.length };
}

export function multiply(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Rounds half away from zero, the way a till rounds a line total. */
export function roundTo(d: Decimal, scale: number): Decimal {
  if (d.scale <= scale) return { units: d.units * 10n ** BigInt(scale - d.scale), scale };
  const divisor = 10n ** BigInt(d.scale - scale);
  const negative = d.units < 0n;
  const abs = negative ? -d.units : d.units;
  let q = abs / divisor;
  if ((abs % divisor) * 2n >= divisor) q += 1n;
  return { units: negative ? -q : q, scale };
}

/** Fixed-point text with exactly `scale` decimals; never '-0.00'. */
export function formatDecimal(d: Decimal): string {
  const negative = d.units < 0n;
  const digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  const whole = digits.slice(0, digits.length - d.scale);
  const frac = digits.slice(digits.length - d.scale);
  return `${negative ? '-' : ''}${whole}${d.scale > 0 ? '.' + frac : ''}`;
}
