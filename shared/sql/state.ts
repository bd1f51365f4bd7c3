import { BROWSER_FAMILIES, DEVICE_TYPES, OS_FAMILIES } from '../contracts/lake.ts';
import { addDays } from '../time.ts';
import { sqlDate, sqlString } from './literals.ts';
import type { Relations } from './relations.ts';
import { COUNTED_EVENT_TYPES } from './staging.ts';

/**
 * customer_state: everything the features need about each customer's history, in a form that can be updated from
 * new partitions alone. It is one table with a `grain` column, as the staged tables are:
 * - `orders`: one row per customer with the order counts, sums and dates, and the purchase days of the last
 *   PURCHASE_DAYS_KEPT days (the windowed counts — purchases in the last 30/90/365 days — need the days themselves);
 * - `category`: one row per customer and category (spend, for the top category and the category list);
 * - `place`: one row per customer, order channel and country (order lines, for the usual channel and country);
 * - `events`: one row per customer with the event counts and first/last event time;
 * - `profile`: the customer's latest profile record.
 *
 * Every column merges with an associative rule (sum, min, max, concatenating the day lists, latest profile), so
 * merging the previous state with the state of the new partitions gives the state of all partitions — the
 * incremental refresh equals the full one. One assumption makes that hold: an order's lines arrive in one
 * partition. A refund booked on the original order id weeks later lands in a later partition; the incremental
 * run then counts it as a separate return order (the full run nets it with the order). Return orders under their
 * own id, the common case and the generator's, are exact.
 */

/** Purchase days older than this are dropped from the state: no feature looks further back. */
export const PURCHASE_DAYS_KEPT = 365;

type Merge = 'key' | 'sum' | 'min' | 'max' | 'days' | 'profile';

export interface StateColumn {
  readonly name: string;
  /** Trino / Glue type. */
  readonly type: string;
  readonly merge: Merge;
}

const col = (name: string, type: string, merge: Merge): StateColumn => ({ name, type, merge });
const eventCountColumns = [
  ...COUNTED_EVENT_TYPES,
  ...DEVICE_TYPES.map((d) => `device_${d}`),
  'channel_app',
  ...OS_FAMILIES.map((o) => `os_${o}`),
  'os_events',
  ...BROWSER_FAMILIES.map((b) => `browser_${b}`),
  'browser_events',
];
const PROFILE_COLUMNS: [string, string][] = [
  ['updated_at', 'timestamp'],
  ['source_file', 'varchar'],
  ['birth_year', 'integer'],
  ['gender', 'varchar'],
  ['income_band', 'varchar'],
  ['education', 'varchar'],
  ['marital_status', 'varchar'],
  ['occupation', 'varchar'],
  ['region', 'varchar'],
  ['city', 'varchar'],
  ['interests_text', 'varchar'],
  ['signup_date', 'date'],
  ['interests', 'array(varchar)'],
  ['lifestyle', 'array(varchar)'],
  ['email_opt_in', 'boolean'],
  ['sms_opt_in', 'boolean'],
  ['push_opt_in', 'boolean'],
];

/** The columns in table order. Keys identify a row within its grain; `country` is the place's or the profile's. */
export const STATE_COLUMNS: readonly StateColumn[] = [
  col('grain', 'varchar', 'key'),
  col('customer_id', 'varchar', 'key'),
  col('category', 'varchar', 'key'),
  col('channel', 'varchar', 'key'),
  col('country', 'varchar', 'key'),
  col('rows_count', 'bigint', 'sum'),
  col('amount', 'decimal(18,4)', 'sum'),
  col('orders_count', 'bigint', 'sum'),
  col('frequency', 'bigint', 'sum'),
  col('purchase_revenue', 'decimal(18,4)', 'sum'),
  col('returned_amount', 'decimal(18,4)', 'sum'),
  col('christmas_orders', 'bigint', 'sum'),
  col('halloween_orders', 'bigint', 'sum'),
  col('first_order_date', 'date', 'min'),
  col('first_purchase_date', 'date', 'min'),
  col('last_purchase_date', 'date', 'max'),
  col('purchase_days', 'array(date)', 'days'),
  col('first_event_date', 'date', 'min'),
  col('last_event_date', 'date', 'max'),
  ...eventCountColumns.map((name) => col(name, 'bigint', 'sum')),
  ...PROFILE_COLUMNS.map(([name, type]) => col(name, type, 'profile')),
];

const KEYS = STATE_COLUMNS.filter((c) => c.merge === 'key').map((c) => c.name);

/** DuckDB has no `array(…)` type syntax: list columns are typed by an array literal instead of a cast. */
const ARRAY_SAMPLES: Record<string, string> = { 'array(date)': "ARRAY[DATE '2000-01-01']", 'array(varchar)': "ARRAY['']" };
const typedNull = (type: string) => (ARRAY_SAMPLES[type] ? `CASE WHEN false THEN ${ARRAY_SAMPLES[type]} END` : `CAST(NULL AS ${type})`);
/** An expression as the column's declared type, so the full and the merged state write the same Parquet schema. */
const typed = (column: StateColumn, expr: string) => (ARRAY_SAMPLES[column.type] ? expr : `CAST(${expr} AS ${column.type})`);

/** A SELECT list in table order: given expressions where present, typed NULLs elsewhere. */
function selectList(values: Record<string, string>): string {
  return STATE_COLUMNS.map((c) => `${values[c.name] ? typed(c, values[c.name]!) : typedNull(c.type)} AS ${c.name}`).join(',\n  ');
}

const purchaseDate = 'CAST(min_ts AS date)';
const occasion = {
  christmas: `((month(min_ts) = 11 AND day(min_ts) >= 20) OR (month(min_ts) = 12 AND day(min_ts) <= 24))`,
  halloween: `(month(min_ts) = 10 AND day(min_ts) >= 15)`,
};

/** The state of this run's staged partitions alone. */
export function stateDeltaSql(rel: Relations, asOf: string): string {
  const keptFrom = sqlDate(addDays(asOf, -PURCHASE_DAYS_KEPT));
  const staged = (table: string, grain: string, notNull: string[] = []) =>
    `${table} WHERE grain = ${sqlString(grain)}${['customer_id', ...notNull].map((c) => ` AND ${c} IS NOT NULL`).join('')}`;
  const orders = selectList({
    grain: "'orders'",
    customer_id: 'customer_id',
    orders_count: 'count(*)',
    frequency: 'count_if(amount > 0)',
    amount: 'sum(amount)',
    purchase_revenue: 'sum(CASE WHEN amount > 0 THEN amount ELSE 0 END)',
    returned_amount: 'sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END)',
    christmas_orders: `count_if(amount > 0 AND ${occasion.christmas})`,
    halloween_orders: `count_if(amount > 0 AND ${occasion.halloween})`,
    first_order_date: `min(${purchaseDate})`,
    first_purchase_date: `min(CASE WHEN amount > 0 THEN ${purchaseDate} END)`,
    last_purchase_date: `max(CASE WHEN amount > 0 THEN ${purchaseDate} END)`,
    purchase_days: `array_agg(${purchaseDate}) FILTER (WHERE amount > 0 AND ${purchaseDate} >= ${keptFrom})`,
  });
  const categories = selectList({ grain: "'category'", customer_id: 'customer_id', category: 'category', amount: 'amount', rows_count: 'rows_count' });
  const places = selectList({ grain: "'place'", customer_id: 'customer_id', channel: 'channel', country: 'country', rows_count: 'rows_count' });
  const events = selectList({
    grain: "'events'",
    customer_id: 'customer_id',
    rows_count: 'rows_count',
    first_event_date: 'CAST(min_ts AS date)',
    last_event_date: 'CAST(max_ts AS date)',
    ...Object.fromEntries(eventCountColumns.map((c) => [c, c])),
  });
  const profile = selectList({
    grain: "'profile'",
    customer_id: 'customer_id',
    country: 'country',
    ...Object.fromEntries(PROFILE_COLUMNS.map(([c]) => [c, c])),
  });
  return `SELECT ${orders}
FROM ${staged(rel.stg_orders, 'order', ['order_id'])}
GROUP BY customer_id
UNION ALL
SELECT ${categories}
FROM ${staged(rel.stg_orders, 'category', ['category'])}
UNION ALL
SELECT ${places}
FROM ${staged(rel.stg_orders, 'place')}
UNION ALL
SELECT ${events}
FROM ${staged(rel.stg_events, 'customer')}
UNION ALL
SELECT ${profile}
FROM (${latestProfileSql(`(SELECT * FROM ${rel.stg_customers} WHERE reject_reason IS NULL)`)}) AS p`;
}

/**
 * The latest profile record per customer: newest updated_at, then the later file, then a fixed order of the values,
 * so the choice never depends on the order rows arrive in.
 */
function latestProfileSql(source: string): string {
  return `SELECT * FROM (
    SELECT s.*, row_number() OVER (
      PARTITION BY customer_id
      ORDER BY updated_at DESC NULLS LAST, source_file DESC,
        concat(coalesce(country, ''), '|', coalesce(region, ''), '|', coalesce(city, ''), '|', coalesce(CAST(birth_year AS varchar), ''), '|', coalesce(gender, ''), '|', coalesce(interests_text, '')) ASC
    ) AS rn
    FROM ${source} AS s
  ) AS ranked WHERE rn = 1`;
}

/**
 * customer_state for this run. A full run is the state of every partition; an incremental run merges the previous
 * run's state (`previous_state`) with the state of the new partitions. Purchase days older than the window are
 * dropped either way, and day lists are sorted, so both give the same rows.
 */
export function customerStateSql(rel: Relations, asOf: string, withPrevious: boolean): string {
  const keptFrom = sqlDate(addDays(asOf, -PURCHASE_DAYS_KEPT));
  const trimDays = (list: string) => `array_sort(filter(${list}, d -> d >= ${keptFrom}))`;
  const columnList = STATE_COLUMNS.map((c) => c.name).join(', ');
  if (!withPrevious) {
    return `SELECT ${STATE_COLUMNS.map((c) => (c.merge === 'days' ? `${trimDays(c.name)} AS ${c.name}` : c.name)).join(', ')}
FROM (${stateDeltaSql(rel, asOf)}) AS delta`;
  }
  const merged = STATE_COLUMNS.map((c) => {
    switch (c.merge) {
      case 'key':
        return c.name;
      case 'sum':
        return `${typed(c, `sum(${c.name})`)} AS ${c.name}`;
      case 'min':
        return `min(${c.name}) AS ${c.name}`;
      case 'max':
        return `max(${c.name}) AS ${c.name}`;
      case 'days':
        return `${trimDays(`flatten(array_agg(${c.name}) FILTER (WHERE ${c.name} IS NOT NULL))`)} AS ${c.name}`;
      case 'profile':
        return `${typedNull(c.type)} AS ${c.name}`;
    }
  });
  const trimmed = STATE_COLUMNS.map((c) => (c.merge === 'days' ? `${trimDays(c.name)} AS ${c.name}` : c.name)).join(', ');
  // Only customers with new rows are re-aggregated; everyone else's rows pass through as they were (bar the
  // day lists' window), which keeps a nightly merge proportional to the day's data, not to the customer base.
  return `WITH delta AS (
  ${stateDeltaSql(rel, asOf)}
), touched AS (
  SELECT DISTINCT grain, customer_id FROM delta WHERE grain <> 'profile'
), previous AS (
  SELECT p.*, t.customer_id IS NOT NULL AS is_touched
  FROM ${rel.previous_state} AS p
  LEFT JOIN touched AS t ON t.grain = p.grain AND t.customer_id = p.customer_id
  WHERE p.grain <> 'profile'
), combined AS (
  SELECT ${columnList} FROM previous WHERE is_touched
  UNION ALL
  SELECT ${columnList} FROM delta WHERE grain <> 'profile'
), profiles AS (
  SELECT ${columnList} FROM ${rel.previous_state} WHERE grain = 'profile'
  UNION ALL
  SELECT ${columnList} FROM delta WHERE grain = 'profile'
)
SELECT ${merged.join(',\n  ')}
FROM combined
GROUP BY ${KEYS.join(', ')}
UNION ALL
SELECT ${trimmed}
FROM previous
WHERE NOT is_touched
UNION ALL
SELECT ${columnList}
FROM (${latestProfileSql('profiles')}) AS p`;
}

/** The state as written for the next run: sorted, so equal states are equal files. */
export function stateOutputSql(rel: Relations): string {
  return `SELECT ${STATE_COLUMNS.map((c) => c.name).join(', ')} FROM ${rel.customer_state} ORDER BY ${KEYS.join(', ')}`;
}
