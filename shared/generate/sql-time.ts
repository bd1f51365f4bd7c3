import { RECENT_DAYS, type ArchetypeSpec, type Timing } from './archetypes.ts';
import { DIST, SLOTS, type Calendar } from './calendar.ts';
import type { GenContext } from './context.ts';
import type { Sql } from './random.ts';
import { archPick } from './per-archetype.ts';

/**
 * When activity happens. A row first picks a timing (per its archetype's mix), then a day: slot-table timings
 * (season, occasion, lapsed) join `slots` on (dist, slot); arithmetic timings (recent, since_signup) need no join.
 */

/** Timing codes; the first three equal their DIST code so `timing` doubles as the slot table key. */
export const TIMINGS: readonly Timing[] = ['season', 'occasion', 'lapsed', 'recent', 'since_signup'];
if (TIMINGS.indexOf('season') !== DIST.season || TIMINGS.indexOf('occasion') !== DIST.occasion || TIMINGS.indexOf('lapsed') !== DIST.lapsed) {
  throw new Error('TIMINGS and DIST codes must agree');
}

/** `slots` (dist, slot → day) and `cal` (day → occasion code: 0 none, 1 halloween, 2 christmas). */
export function calendarTablesSql(cal: Calendar): Sql[] {
  const slotRows = (Object.keys(DIST) as (keyof typeof DIST)[]).map(
    (name) => `SELECT ${DIST[name]}::TINYINT AS dist, (s - 1)::INTEGER AS slot, day FROM (SELECT unnest([${cal.slots[name].join(',')}]) AS day, generate_subscripts([${cal.slots[name].join(',')}], 1) AS s)`,
  );
  const occ = cal.occasionByDay.map((o) => (o === 'halloween' ? 1 : o === 'christmas' ? 2 : 0));
  return [
    `CREATE OR REPLACE TABLE slots AS ${slotRows.join(' UNION ALL ')}`,
    `CREATE OR REPLACE TABLE cal AS SELECT (generate_subscripts(l, 1) - 1)::INTEGER AS day, unnest(l)::TINYINT AS occ FROM (SELECT [${occ.join(',')}] AS l)`,
  ];
}

export const OCCASION_CODE = { halloween: 1, christmas: 2 } as const;

/** Per-archetype timing code for a row. */
export function timingSql(mix: (a: ArchetypeSpec) => Partial<Record<Timing, number>>, u: Sql): Sql {
  return archPick(u, (a) => TIMINGS.map((t) => mix(a)[t] ?? 0));
}

/** Slot for the join; `u` must be independent of the timing draw. */
export function slotSql(u: Sql): Sql {
  return `CAST(floor(${u} * ${SLOTS}) AS INTEGER)`;
}

/**
 * Day offset from the timing, the joined slot day (`slotDay`, NULL for arithmetic timings) and a uniform `u`.
 * `signup_day` must be in scope.
 */
export function daySql(ctx: GenContext, timing: Sql, slotDay: Sql, u: Sql): Sql {
  const days = ctx.cal.period.days;
  const recent = Math.min(RECENT_DAYS, days);
  return `(CASE ${timing}
    WHEN ${TIMINGS.indexOf('recent')} THEN ${days - 1} - CAST(floor(${u} * ${recent}) AS INTEGER)
    WHEN ${TIMINGS.indexOf('since_signup')} THEN greatest(signup_day, 0) + CAST(floor(${u} * (${days} - greatest(signup_day, 0))) AS INTEGER)
    ELSE ${slotDay} END)`;
}

/** Second of day: mostly 07:00–23:00 local-ish shopping hours, some at night. */
export function timeOfDaySql(u1: Sql, u2: Sql): Sql {
  return `(CASE WHEN ${u1} < 0.88 THEN 25200 + CAST(floor(${u2} * 57600) AS INTEGER) ELSE CAST(floor(${u2} * 86400) AS INTEGER) END)`;
}

/** Unix seconds → TIMESTAMP (no time zone, so rendering never depends on the session's TimeZone). */
export function timestampSql(epochSeconds: Sql): Sql {
  return `make_timestamp(CAST(${epochSeconds} AS BIGINT) * 1000000)`;
}

/** Unix seconds → '2026-03-01T14:05:09Z'. */
export function isoSql(epochSeconds: Sql): Sql {
  return `strftime(${timestampSql(epochSeconds)}, '%Y-%m-%dT%H:%M:%SZ')`;
}
