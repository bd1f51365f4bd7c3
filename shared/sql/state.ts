import { BROWSER_FAMILIES, DEVICE_TYPES, OS_FAMILIES, type TableName } from '../contracts/lake.ts';
import { addDays } from '../time.ts';
import { sqlDate } from './literals.ts';
import type { Relations } from './relations.ts';
import { COUNTED_EVENT_TYPES } from './staging.ts';

/**
 * The feature state: everything the features need about each customer's history, in a form that can be updated
 * from new partitions alone. One narrow table per grain (a single sparse table of every grain's columns cost more
 * to build, sort and merge than the features themselves):
 * - `orders`: per customer the order counts, sums and dates, and the purchase days of the last PURCHASE_DAYS_KEPT
 *   days (the windowed counts — purchases in the last 30/90/365 days — need the days themselves);
 * - `categories`: per customer and category the spend (top category, category list);
 * - `places`: per customer, order channel and country the order lines (usual channel and country);
 * - `events`: per customer the event counts and first/last event day;
 * - `profiles`: the customer's latest profile record (kept only when customers/ is partitioned by day: keptStateGrains).
 *
 * Every column merges with an associative rule (sum, min, max, concatenated day lists, latest profile), so merging
 * the previous state with the state of the new partitions gives the state of all partitions: the incremental
 * refresh equals the full one. One assumption makes that hold: an order's lines arrive in one partition. A refund
 * booked on the original order id weeks later lands in a later partition; the incremental run then counts it as a
 * separate return order (the full run nets it with the order). Return orders under their own id are exact.
 */

/** Purchase days older than this are dropped from the state: no feature looks further back. */
export const PURCHASE_DAYS_KEPT = 365;

export const STATE_GRAINS = ['orders', 'categories', 'places', 'events', 'profiles'] as const;
export type StateGrain = (typeof STATE_GRAINS)[number];

/**
 * The grains a run keeps for the next one, which are also the grains the next one merges. An unpartitioned
 * customers table is a snapshot, read whole every night: the profiles come from it alone, so a profiles state
 * would never be read (at 1 M customers, writing it cost 1.4 s and 18 MB a night). Partitioned by day, customers/
 * is a log of profile changes, merged into the previous profiles.
 */
export const keptStateGrains = (customersPartitioned: boolean): StateGrain[] =>
  STATE_GRAINS.filter((grain) => grain !== 'profiles' || customersPartitioned);

/** The input table each grain's state comes from. */
export const STATE_SOURCE: Readonly<Record<StateGrain, TableName>> = {
  orders: 'orders',
  categories: 'orders',
  places: 'orders',
  events: 'events',
  profiles: 'customers',
};

type Merge = 'key' | 'sum' | 'min' | 'max' | 'days' | 'value';

export interface StateColumn {
  readonly name: string;
  /** Trino / Glue type. */
  readonly type: string;
  readonly merge: Merge;
}

const col = (name: string, type: string, merge: Merge): StateColumn => ({ name, type, merge });
const customerKey = col('customer_id', 'varchar', 'key');
const EVENT_COUNTS = [
  ...COUNTED_EVENT_TYPES,
  ...DEVICE_TYPES.map((d) => `device_${d}`),
  'channel_app',
  ...OS_FAMILIES.map((o) => `os_${o}`),
  'os_events',
  ...BROWSER_FAMILIES.map((b) => `browser_${b}`),
  'browser_events',
];

export const STATE_COLUMNS: Readonly<Record<StateGrain, readonly StateColumn[]>> = {
  orders: [
    customerKey,
    col('orders_count', 'bigint', 'sum'),
    col('frequency', 'bigint', 'sum'),
    col('monetary', 'decimal(18,4)', 'sum'),
    col('purchase_revenue', 'decimal(18,4)', 'sum'),
    col('returned_amount', 'decimal(18,4)', 'sum'),
    col('christmas_orders', 'bigint', 'sum'),
    col('halloween_orders', 'bigint', 'sum'),
    col('first_order_date', 'date', 'min'),
    col('first_purchase_date', 'date', 'min'),
    col('last_purchase_date', 'date', 'max'),
    col('purchase_days', 'array(date)', 'days'),
  ],
  categories: [customerKey, col('category', 'varchar', 'key'), col('amount', 'decimal(18,4)', 'sum')],
  places: [customerKey, col('channel', 'varchar', 'key'), col('country', 'varchar', 'key'), col('rows_count', 'bigint', 'sum')],
  events: [
    customerKey,
    col('rows_count', 'bigint', 'sum'),
    col('first_event_date', 'date', 'min'),
    col('last_event_date', 'date', 'max'),
    ...EVENT_COUNTS.map((name) => col(name, 'bigint', 'sum')),
  ],
  profiles: [
    customerKey,
    ...(
      [
        ['updated_at', 'timestamp'],
        ['source_file', 'varchar'],
        ['birth_year', 'integer'],
        ['gender', 'varchar'],
        ['income_band', 'varchar'],
        ['education', 'varchar'],
        ['marital_status', 'varchar'],
        ['occupation', 'varchar'],
        ['country', 'varchar'],
        ['region', 'varchar'],
        ['city', 'varchar'],
        ['interests_text', 'varchar'],
        ['signup_date', 'date'],
        ['interests', 'array(varchar)'],
        ['lifestyle', 'array(varchar)'],
        ['email_opt_in', 'boolean'],
        ['sms_opt_in', 'boolean'],
        ['push_opt_in', 'boolean'],
      ] as const
    ).map(([name, type]) => col(name, type, 'value')),
  ],
};

/** The relation holding a grain's state in this run, and the previous run's. */
export const stateRelation = (grain: StateGrain) => `state_${grain}` as const;
export const previousStateRelation = (grain: StateGrain) => `previous_state_${grain}` as const;

const keysOf = (grain: StateGrain) => STATE_COLUMNS[grain].filter((c) => c.merge === 'key').map((c) => c.name);
const namesOf = (grain: StateGrain) => STATE_COLUMNS[grain].map((c) => c.name).join(', ');

/** An expression as the column's declared type, so the full and the merged state write the same Parquet schema. */
const typed = (column: StateColumn, expr: string) => (column.type.startsWith('array') ? expr : `CAST(${expr} AS ${column.type})`);

const purchaseDate = 'CAST(min_ts AS date)';
const occasion = {
  christmas: `((month(min_ts) = 11 AND day(min_ts) >= 20) OR (month(min_ts) = 12 AND day(min_ts) <= 24))`,
  halloween: `(month(min_ts) = 10 AND day(min_ts) >= 15)`,
};

/** The state of this run's staged partitions alone, for one grain. */
function stateDeltaSql(rel: Relations, grain: StateGrain, asOf: string): string {
  const keptFrom = sqlDate(addDays(asOf, -PURCHASE_DAYS_KEPT));
  const staged = (table: string, stagedGrain: string, notNull: string[] = []) =>
    `${table} WHERE grain = '${stagedGrain}'${['customer_id', ...notNull].map((c) => ` AND ${c} IS NOT NULL`).join('')}`;
  const select = (values: Record<string, string>) =>
    STATE_COLUMNS[grain].map((c) => `${typed(c, values[c.name] ?? c.name)} AS ${c.name}`).join(',\n  ');
  switch (grain) {
    case 'orders':
      return `SELECT ${select({
        orders_count: 'count(*)',
        frequency: 'count_if(amount > 0)',
        monetary: 'sum(amount)',
        purchase_revenue: 'sum(CASE WHEN amount > 0 THEN amount ELSE 0 END)',
        returned_amount: 'sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END)',
        christmas_orders: `count_if(amount > 0 AND ${occasion.christmas})`,
        halloween_orders: `count_if(amount > 0 AND ${occasion.halloween})`,
        first_order_date: `min(${purchaseDate})`,
        first_purchase_date: `min(CASE WHEN amount > 0 THEN ${purchaseDate} END)`,
        last_purchase_date: `max(CASE WHEN amount > 0 THEN ${purchaseDate} END)`,
        purchase_days: `array_agg(${purchaseDate}) FILTER (WHERE amount > 0 AND ${purchaseDate} >= ${keptFrom})`,
      })}
FROM ${staged(rel.stg_orders, 'order', ['order_id'])}
GROUP BY customer_id`;
    case 'categories':
      return `SELECT ${select({})} FROM ${staged(rel.stg_orders, 'category', ['category'])}`;
    case 'places':
      return `SELECT ${select({})} FROM ${staged(rel.stg_orders, 'place')}`;
    case 'events':
      return `SELECT ${select({ first_event_date: 'CAST(min_ts AS date)', last_event_date: 'CAST(max_ts AS date)' })} FROM ${staged(rel.stg_events, 'customer')}`;
    case 'profiles':
      return `SELECT ${select({})} FROM (${latestProfileSql(`(SELECT * FROM ${rel.stg_customers} WHERE reject_reason IS NULL)`)}) AS p`;
  }
}

/**
 * The latest profile record per customer: newest updated_at, then the later file, then a fixed order of the values,
 * so the choice never depends on the order rows arrive in. Only customers with more than one record are ranked; the
 * rest (nearly all) pass straight through, which skips sorting a million rows for nothing. On Athena the staged
 * customers are read four times instead of once for it (README, What a run costs).
 */
function latestProfileSql(source: string): string {
  const repeated = `(SELECT customer_id FROM ${source} AS s GROUP BY customer_id HAVING count(*) > 1)`;
  return `SELECT s.*, CAST(1 AS bigint) AS rn
  FROM ${source} AS s
  LEFT JOIN ${repeated} AS r ON r.customer_id = s.customer_id
  WHERE r.customer_id IS NULL
  UNION ALL
  SELECT * FROM (
    SELECT s.*, row_number() OVER (
      PARTITION BY s.customer_id
      ORDER BY updated_at DESC NULLS LAST, source_file DESC,
        concat(coalesce(country, ''), '|', coalesce(region, ''), '|', coalesce(city, ''), '|', coalesce(CAST(birth_year AS varchar), ''), '|', coalesce(gender, ''), '|', coalesce(interests_text, '')) ASC
    ) AS rn
    FROM ${source} AS s
    JOIN ${repeated} AS r ON r.customer_id = s.customer_id
  ) AS ranked WHERE rn = 1`;
}

/**
 * One grain of the state for this run. A full run is the state of every partition; an incremental run merges the
 * previous run's state with the state of the new partitions. Purchase days older than the window are dropped
 * either way, and day lists are sorted, so both give the same rows.
 */
export function stateSql(rel: Relations, grain: StateGrain, asOf: string, withPrevious: boolean): string {
  const keptFrom = sqlDate(addDays(asOf, -PURCHASE_DAYS_KEPT));
  const trimDays = (list: string) => `array_sort(filter(${list}, d -> d >= ${keptFrom}))`;
  const columns = STATE_COLUMNS[grain];
  const names = namesOf(grain);
  const trimmed = columns.map((c) => (c.merge === 'days' ? `${trimDays(c.name)} AS ${c.name}` : c.name)).join(', ');
  const delta = stateDeltaSql(rel, grain, asOf);
  if (!withPrevious) return `SELECT ${trimmed} FROM (${delta}) AS delta`;
  const previous = rel[previousStateRelation(grain)];
  if (grain === 'profiles') {
    return `SELECT ${names} FROM (${latestProfileSql(`(SELECT ${names} FROM ${previous} UNION ALL SELECT ${names} FROM (${delta}) AS delta)`)}) AS p`;
  }
  const merged = columns.map((c) => {
    if (c.merge === 'key') return c.name;
    if (c.merge === 'days') return `${trimDays(`flatten(array_agg(${c.name}) FILTER (WHERE ${c.name} IS NOT NULL))`)} AS ${c.name}`;
    return `${typed(c, `${c.merge === 'value' ? 'max' : c.merge}(${c.name})`)} AS ${c.name}`;
  });
  // Only customers with new rows are re-aggregated; everyone else's rows pass through as they were (bar the day
  // lists' window), which keeps a nightly merge proportional to the day's data, not to the customer base.
  return `WITH delta AS (
  ${delta}
), touched AS (
  SELECT DISTINCT customer_id FROM delta
), previous AS (
  SELECT p.*, t.customer_id IS NOT NULL AS is_touched
  FROM ${previous} AS p
  LEFT JOIN touched AS t ON t.customer_id = p.customer_id
)
SELECT ${merged.join(',\n  ')}
FROM (
  SELECT ${names} FROM previous WHERE is_touched
  UNION ALL
  SELECT ${names} FROM delta
) AS combined
GROUP BY ${keysOf(grain).join(', ')}
UNION ALL
SELECT ${trimmed}
FROM previous
WHERE NOT is_touched`;
}

/** A grain's state as written for the next run: sorted, so equal states are equal files (and compress better). */
export function stateOutputSql(rel: Relations, grain: StateGrain): string {
  return `SELECT ${namesOf(grain)} FROM ${rel[stateRelation(grain)]} ORDER BY ${keysOf(grain).join(', ')}`;
}
