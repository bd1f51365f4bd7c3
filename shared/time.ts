/** Calendar arithmetic on YYYY-MM-DD strings, in UTC: the job's dates are calendar days, never local times. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function utcDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The earliest and the latest of some ISO-8601 dates or timestamps (which sort as text), ignoring missing ones. */
export function earliest(...values: readonly (string | null | undefined)[]): string | null {
  return values.filter((v): v is string => !!v).sort()[0] ?? null;
}
export function latest(...values: readonly (string | null | undefined)[]): string | null {
  return values.filter((v): v is string => !!v).sort().at(-1) ?? null;
}
