/**
 * Orders text the same on every machine: by UTF-16 code unit, as SQL's ORDER BY orders codes, not by the
 * runtime's locale (`localeCompare` without one), so tie-breaks and byte-identical reruns do not depend on it.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
