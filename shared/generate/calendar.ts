import type { Occasion } from './catalogues.ts';
import { GenerateOptionsError } from './errors.ts';

/**
 * The generated period and the day distributions drawn from it.
 *
 * Days are integers: offset 0 is the first day of the period, `days - 1` is asOf - 1. Distributions over days
 * are precomputed here as "slot" tables (slot → day, slots proportional to weight) so SQL turns a uniform draw
 * into a seasonal day with one equi-join instead of a per-row search.
 */

const DAY_MS = 86_400_000;
export const SLOTS = 8192;

export interface Period {
  /** First day, YYYY-MM-DD. */
  readonly from: string;
  /** Last day (asOf - 1), YYYY-MM-DD. */
  readonly to: string;
  readonly days: number;
  /** Unix seconds of `from` 00:00:00Z. */
  readonly startEpoch: number;
}

export function periodOf(asOf: string, days: number): Period {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(`${asOf}T00:00:00Z`))) {
    throw new GenerateOptionsError(`asOf must be a date as YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
  }
  const asOfMs = Date.parse(`${asOf}T00:00:00Z`);
  if (new Date(asOfMs).toISOString().slice(0, 10) !== asOf) {
    throw new GenerateOptionsError(`asOf ${asOf} is not a calendar date`);
  }
  const startMs = asOfMs - days * DAY_MS;
  return { from: isoDay(startMs), to: isoDay(asOfMs - DAY_MS), days, startEpoch: startMs / 1000 };
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function dayString(period: Period, day: number): string {
  return isoDay(period.startEpoch * 1000 + day * DAY_MS);
}

/** Which occasion window a calendar day is in: Halloween Oct 15–31, Christmas Nov 20–Dec 24. */
export function occasionOn(isoDate: string): Occasion | undefined {
  const md = isoDate.slice(5);
  if (md >= '10-15' && md <= '10-31') return 'halloween';
  if (md >= '11-20' && md <= '12-24') return 'christmas';
  return undefined;
}

/** Relative shopping intensity of a day: Nov/Dec peak, Christmas run-up highest, a January lull. */
function seasonWeight(isoDate: string): number {
  const month = isoDate.slice(5, 7);
  const occasion = occasionOn(isoDate);
  if (occasion === 'christmas') return 2.2;
  if (occasion === 'halloween') return 1.4;
  if (month === '11') return 1.5;
  if (month === '12') return 1.2;
  if (month === '01') return 0.8;
  return 1;
}

/** Distributions the SQL can draw days from; the numeric value is the `dist` key of the slot table. */
export const DIST = {
  /** The whole period, seasonal. */
  season: 0,
  /** Only occasion-window days (falls back to `season` when the period contains none). */
  occasion: 1,
  /** The early part of the period (200+ days before asOf), seasonal: when lapsed customers were active. */
  lapsed: 2,
} as const;
export type DistName = keyof typeof DIST;

/** Days before asOf that count as "lapsed": the first day after which a lapsed customer has no orders. */
export const LAPSED_MIN_DAYS_BEFORE = 200;

export interface Calendar {
  readonly period: Period;
  /** Occasion per day offset (undefined: ordinary day). */
  readonly occasionByDay: readonly (Occasion | undefined)[];
  /** slot → day for each distribution, SLOTS entries each. */
  readonly slots: Record<DistName, readonly number[]>;
}

export function buildCalendar(period: Period): Calendar {
  const dates = Array.from({ length: period.days }, (_, d) => dayString(period, d));
  const occasionByDay = dates.map(occasionOn);
  const season = dates.map(seasonWeight);
  const occasion = dates.map((date, d) => (occasionByDay[d] ? seasonWeight(date) : 0));
  // Short periods may not reach 200 days back; then "lapsed" means the earliest ~45% of the period.
  const lapsedLast = period.days > LAPSED_MIN_DAYS_BEFORE ? period.days - LAPSED_MIN_DAYS_BEFORE : Math.max(0, Math.floor(period.days * 0.45) - 1);
  const lapsed = season.map((w, d) => (d <= lapsedLast ? w : 0));
  return {
    period,
    occasionByDay,
    slots: {
      season: toSlots(season),
      occasion: toSlots(occasion.some((w) => w > 0) ? occasion : season),
      lapsed: toSlots(lapsed),
    },
  };
}

/** Inverse CDF sampled at slot midpoints: slot s covers u ∈ [s/SLOTS, (s+1)/SLOTS). */
function toSlots(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let day = 0;
  let cum = weights[0] ?? 0;
  for (let s = 0; s < SLOTS; s++) {
    const target = ((s + 0.5) / SLOTS) * total;
    while (cum <= target && day < weights.length - 1) {
      day++;
      cum += weights[day] ?? 0;
    }
    out.push(day);
  }
  return out;
}

/** Occasion windows inside the period, for generator.json and tests. */
export function occasionWindows(cal: Calendar): { occasion: Occasion; from: string; to: string }[] {
  const windows: { occasion: Occasion; from: string; to: string }[] = [];
  cal.occasionByDay.forEach((occ, d) => {
    const date = dayString(cal.period, d);
    const last = windows.at(-1);
    if (!occ) return;
    if (last && last.occasion === occ && cal.occasionByDay[d - 1] === occ) last.to = date;
    else windows.push({ occasion: occ, from: date, to: date });
  });
  return windows;
}
