import {
  BROWSER_FAMILIES,
  DEVICE_TYPES,
  EDUCATION_LEVELS,
  EVENT_CHANNELS,
  EVENT_TYPES,
  GENDERS,
  INCOME_BANDS,
  MARITAL_STATUSES,
  ORDER_CHANNELS,
  OS_FAMILIES,
  TABLES,
  type RejectReason,
  type TableName,
} from '../contracts/lake.ts';
import type { SegmentsConfig } from '../contracts/config.ts';
import type { Relations } from './relations.ts';
import { addDays } from '../time.ts';
import { sqlDecimal, sqlNumber, sqlString, sqlTimestamp } from './literals.ts';
import { type Counter, type PackedCounts, packedCounts } from './packed-counts.ts';

/**
 * Staging: the one scan of each input table. It reads every column as the contract describes it, types it, and
 * gives each row either no reject reason (accepted) or exactly one (quarantined). The checks run in a fixed
 * order so a row with several defects is always reported under the same reason.
 *
 * Raw columns are text in CSV and JSON inputs but may be typed in Parquet, so every text operation starts
 * from CAST(… AS varchar), which is a no-op on text in both engines.
 */

/**
 * Trimmed text or NULL. Trimming only values that start or end with a space is the same result and, on
 * high-cardinality columns (ids, timestamps), an order of magnitude cheaper than trimming every value.
 */
const text = (column: string) => {
  const v = `CAST(${column} AS varchar)`;
  return `nullif(CASE WHEN ${v} LIKE ' %' OR ${v} LIKE '% ' THEN trim(${v}) ELSE ${v} END, '')`;
};
/**
 * Enum text: case-insensitive, '-' and ' ' read as '_' ("Non-Binary" → non_binary). Values already in canonical
 * form (nearly all of them) skip the string functions, which on tens of millions of rows cost more than the scan.
 */
const enumText = (column: string, values: readonly string[]) => {
  const v = `CAST(${column} AS varchar)`;
  return `CASE WHEN ${isOneOf(v, values)} THEN ${v} ELSE replace(replace(lower(${text(column)}), '-', '_'), ' ', '_') END`;
};
/** Trino's from_iso8601_timestamp raises on bad text; try() turns that into NULL (the DuckDB shim returns NULL). */
const isoTimestamp = (column: string) => `CAST(try(from_iso8601_timestamp(${column}) AT TIME ZONE 'UTC') AS timestamp)`;
/** Tags: one '|'-separated text per row (lists are joined on read), lower case, spaces removed, empties dropped. */
const tags = (column: string) => `filter(split(lower(replace(${column}, ' ', '')), '|'), x -> x <> '')`;
const consent = (column: string) =>
  `CASE WHEN lower(${column}) IN ('true', '1', 'yes', 'y', 't') THEN true WHEN lower(${column}) IN ('false', '0', 'no', 'n', 'f') THEN false END`;
const MAX_TEXT = 256;

interface Check {
  reason: RejectReason;
  when: string;
}

const rejectReasonSql = (checks: readonly Check[]) =>
  `CASE ${checks.map((c) => `WHEN ${c.when} THEN ${sqlString(c.reason)}`).join(' ')} END`;

/**
 * Membership in a constant list as contains(ARRAY[…], x): same meaning in both engines, and in DuckDB ten times
 * faster than IN (…), which it plans as a join against the list; on 20 M rows per check that is most of a second.
 */
const isOneOf = (expr: string, values: readonly string[]) => `contains(ARRAY[${values.map(sqlString).join(', ')}], ${expr})`;

/**
 * The validation every table shares, as CTEs ending in `checked`: `src` reads the raw columns as text, `typed`
 * parses them, `checked` adds the one reject reason (NULL for an accepted row).
 */
function validatedRowsSql(raw: string, textColumns: string, typedColumns: string, checks: readonly Check[]): string {
  return `WITH src AS (
  SELECT source_file,
    ${textColumns}
  FROM ${raw}
), typed AS (
  SELECT src.*, ${typedColumns}
  FROM src
), checked AS (
  SELECT typed.*, ${rejectReasonSql(checks)} AS reject_reason
  FROM typed
)`;
}

const tooLong = (columns: readonly string[]) => columns.map((c) => `coalesce(length(${c}), 0) > ${MAX_TEXT}`).join(' OR ');

const otherRates = (config: SegmentsConfig['currency']) => Object.entries(config?.rates ?? {}).filter(([code]) => code !== config?.reporting);

/** The row's rate by its currency, each written by `literal` (1 for the reporting currency). */
const rateSql = (currency: string, rates: readonly [string, number][], literal: (rate: number) => string) =>
  `CASE ${currency} ${rates.map(([code, rate]) => `WHEN ${sqlString(code)} THEN ${literal(rate)}`).join(' ')} ELSE ${literal(1)} END`;

/**
 * A row's amount in the reporting currency: DECIMAL(18,4) × the rate as DECIMAL(·,6), rounded once (half away
 * from zero) to DECIMAL(18,4). From there every sum is exact integer arithmetic, so totals and RFM ties do not
 * depend on the order rows arrive in. (Keeping the 10-decimal product through the GROUPING SETS cost 5× the whole
 * stage.) DuckDB multiplies two DECIMALs of at most 18 digits in 64 bits, the product within DECIMAL(18,10), and
 * fails the statement from 10⁸ in the reporting currency; a rate 19 digits wide makes it multiply in 128 bits,
 * which doubled the orders staging when every row took it (2026-11-24, 1 M lake), so only rows that large do.
 * Without a currency config amounts are summed as they are.
 */
export function reportingAmountSql(amount: string, currency: string, config: SegmentsConfig['currency']): string {
  const exact = `CAST(${amount} AS decimal(18, 4))`;
  const rates = otherRates(config);
  if (rates.length === 0) return exact;
  const converted = (width: number) => `CAST(${exact} * ${rateSql(currency, rates, (rate) => sqlDecimal(rate, width, 6))} AS decimal(18, 4))`;
  return `CASE WHEN ${reportingSizeSql(amount, currency, config)} < 9e7 THEN ${converted(18)} ELSE ${converted(19)} END`;
}

/** The amount's size in the reporting currency, as a double: checked before any DECIMAL arithmetic can overflow. */
function reportingSizeSql(amount: string, currency: string, config: SegmentsConfig['currency']): string {
  const rates = otherRates(config);
  if (rates.length === 0) return `abs(${amount})`;
  return `abs(${amount}) * ${rateSql(currency, rates, sqlNumber)}`;
}

export function stageOrdersSql(rel: Relations, asOf: string, currency?: SegmentsConfig['currency']): string {
  const checks: Check[] = [
    { reason: 'missing_customer_id', when: 'customer_id IS NULL' },
    { reason: 'missing_order_id', when: 'order_id IS NULL' },
    { reason: 'missing_timestamp', when: 'order_ts_text IS NULL' },
    { reason: 'bad_timestamp', when: 'order_ts IS NULL' },
    { reason: 'missing_amount', when: 'amount_text IS NULL' },
    // NaN and ±Infinity parse as doubles in both engines; neither is an amount, nor is one that DECIMAL(18,4)
    // sums of a customer's rows in the reporting currency could not hold.
    { reason: 'non_numeric_amount', when: `amount IS NULL OR NOT (${reportingSizeSql('amount', 'currency', currency)} < 1e12)` },
    { reason: 'bad_currency', when: "currency IS NOT NULL AND NOT regexp_like(currency, '^[A-Z]{3}$')" },
    ...(currency
      ? [{ reason: 'unknown_currency' as const, when: `currency IS NOT NULL AND NOT ${isOneOf('currency', [currency.reporting, ...Object.keys(currency.rates)])}` }]
      : []),
    { reason: 'unknown_channel', when: `channel IS NOT NULL AND NOT ${isOneOf('channel', ORDER_CHANNELS)}` },
    { reason: 'value_too_long', when: tooLong(['customer_id', 'order_id', 'category', 'country']) },
  ];
  const checked = validatedRowsSql(rel.raw_orders, `${text('order_id')} AS order_id,
    ${text('customer_id')} AS customer_id,
    ${text('order_ts')} AS order_ts_text,
    ${text('amount')} AS amount_text,
    upper(${text('currency')}) AS currency,
    lower(${text('category')}) AS category,
    ${enumText('channel', ORDER_CHANNELS)} AS channel,
    ${text('country')} AS country`, `${isoTimestamp('order_ts_text')} AS order_ts, try_cast(amount_text AS double) AS amount`, checks);
  return aggregatedStageSql({
    checked,
    timestamp: 'order_ts',
    asOf,
    keys: { order_id: 'order_id', category: 'category', channel: 'channel', country: 'country' },
    primary: { grain: 'order', keys: ['order_id'] },
    // Category, channel and country per customer, each grain small: top category by revenue and the category list;
    // the usual channel and country. (One grain of all three was 1.5× the rows and tripled the cost of the
    // features; min() over strings per order was once the most expensive aggregate.)
    more: [{ grain: 'category', keys: ['category'] }, { grain: 'place', keys: ['channel', 'country'] }],
    // Amounts in the reporting currency; computed for accepted rows only, since a rejected amount (NaN, 1e300)
    // cannot be cast to DECIMAL.
    okValues: { ok_amount: reportingAmountSql('amount', 'currency', currency) },
    // Sums of DECIMAL(18, 4) are exact; casting back keeps the staged rows narrow.
    aggregates: { amount: 'CAST(sum(ok_amount) AS decimal(18, 4))' },
    rawColumns: ['order_id', 'customer_id', 'order_ts_text', 'amount_text', 'currency', 'category', 'channel', 'country'],
  });
}

export function stageCustomersSql(rel: Relations, asOfYear: number): string {
  const consentColumns = ['email_opt_in', 'sms_opt_in', 'push_opt_in'] as const;
  const checks: Check[] = [
    { reason: 'missing_customer_id', when: 'customer_id IS NULL' },
    { reason: 'bad_birth_year', when: `birth_year_text IS NOT NULL AND (birth_year IS NULL OR birth_year < 1900 OR birth_year > ${asOfYear})` },
    { reason: 'unknown_gender', when: `gender IS NOT NULL AND NOT ${isOneOf('gender', GENDERS)}` },
    { reason: 'unknown_income_band', when: `income_band IS NOT NULL AND NOT ${isOneOf('income_band', INCOME_BANDS)}` },
    { reason: 'unknown_education', when: `education IS NOT NULL AND NOT ${isOneOf('education', EDUCATION_LEVELS)}` },
    { reason: 'unknown_marital_status', when: `marital_status IS NOT NULL AND NOT ${isOneOf('marital_status', MARITAL_STATUSES)}` },
    { reason: 'bad_signup_date', when: 'signup_date_text IS NOT NULL AND signup_date IS NULL' },
    { reason: 'bad_timestamp', when: 'updated_at_text IS NOT NULL AND updated_at IS NULL' },
    {
      reason: 'bad_consent_flag',
      when: consentColumns.map((c) => `(${c}_text IS NOT NULL AND ${c} IS NULL)`).join(' OR '),
    },
    { reason: 'value_too_long', when: tooLong(['customer_id', 'occupation', 'country', 'region', 'city']) },
  ];
  return `${validatedRowsSql(rel.raw_customers, `${text('customer_id')} AS customer_id,
    ${text('birth_year')} AS birth_year_text,
    ${enumText('gender', GENDERS)} AS gender,
    ${enumText('income_band', INCOME_BANDS)} AS income_band,
    ${enumText('education', EDUCATION_LEVELS)} AS education,
    ${enumText('marital_status', MARITAL_STATUSES)} AS marital_status,
    lower(${text('occupation')}) AS occupation,
    ${text('country')} AS country,
    ${text('region')} AS region,
    ${text('city')} AS city,
    ${text('interests')} AS interests_text,
    ${text('lifestyle')} AS lifestyle_text,
    ${consentColumns.map((c) => `${text(c)} AS ${c}_text`).join(',\n    ')},
    ${text('signup_date')} AS signup_date_text,
    ${text('updated_at')} AS updated_at_text`, `try_cast(birth_year_text AS integer) AS birth_year,
    ${consentColumns.map((c) => `${consent(`${c}_text`)} AS ${c}`).join(',\n    ')},
    try(from_iso8601_date(signup_date_text)) AS signup_date,
    ${isoTimestamp('updated_at_text')} AS updated_at,
    ${tags('interests_text')} AS interests,
    ${tags('lifestyle_text')} AS lifestyle`, checks)}
SELECT * FROM checked`;
}

/** Event types the features count (shared/sql/features.ts); the others are validated but not counted. */
export const COUNTED_EVENT_TYPES = [
  'page_view',
  'product_view',
  'add_to_cart',
  'checkout_start',
  'purchase',
  'email_open',
  'email_click',
  'push_open',
  'sms_click',
  'social_click',
  'app_open',
] as const satisfies readonly (typeof EVENT_TYPES)[number][];

/**
 * What each customer's events are counted by. Operating systems and browsers are counted per family rather than
 * grouped by value: a (customer, os, browser) grain cost as much as the rest of the scan.
 */
const EVENT_COUNTERS: readonly Counter[] = [
  ...COUNTED_EVENT_TYPES.map((type) => ({ name: type, column: 'event_type', equals: type })),
  ...DEVICE_TYPES.map((device) => ({ name: `device_${device}`, column: 'device_type', equals: device })),
  { name: 'channel_app', column: 'channel', equals: 'app' },
  ...OS_FAMILIES.map((os) => ({ name: `os_${os}`, column: 'os', equals: os })),
  { name: 'os_events', column: 'os', notNull: true },
  ...BROWSER_FAMILIES.map((browser) => ({ name: `browser_${browser}`, column: 'browser', equals: browser })),
  { name: 'browser_events', column: 'browser', notNull: true },
];

export function stageEventsSql(rel: Relations, asOf: string): string {
  const eventCounts = packedCounts(EVENT_COUNTERS, 'rows_count');
  const checks: Check[] = [
    { reason: 'missing_customer_id', when: 'customer_id IS NULL' },
    { reason: 'missing_timestamp', when: 'event_ts_text IS NULL' },
    { reason: 'bad_timestamp', when: 'event_ts IS NULL' },
    { reason: 'unknown_event_type', when: `event_type IS NULL OR NOT ${isOneOf('event_type', EVENT_TYPES)}` },
    { reason: 'unknown_channel', when: `channel IS NOT NULL AND NOT ${isOneOf('channel', EVENT_CHANNELS)}` },
    { reason: 'unknown_device_type', when: `device_type IS NOT NULL AND NOT ${isOneOf('device_type', DEVICE_TYPES)}` },
    { reason: 'value_too_long', when: tooLong(['customer_id', 'os', 'browser']) },
  ];
  const checked = validatedRowsSql(rel.raw_events, `${text('customer_id')} AS customer_id,
    ${text('event_ts')} AS event_ts_text,
    ${enumText('event_type', EVENT_TYPES)} AS event_type,
    ${enumText('channel', EVENT_CHANNELS)} AS channel,
    ${enumText('device_type', DEVICE_TYPES)} AS device_type,
    ${enumText('os', OS_FAMILIES)} AS os,
    ${enumText('browser', BROWSER_FAMILIES)} AS browser`, `${isoTimestamp('event_ts_text')} AS event_ts`, checks);
  return customerCountsStageSql({
    checked,
    timestamp: 'event_ts',
    asOf,
    counts: eventCounts,
    tooManyReason: 'too_many_events',
    rawColumns: ['customer_id', 'event_ts_text', 'event_type', 'channel', 'device_type', 'os', 'browser'],
  });
}

/**
 * A stage with one group per customer whose only aggregates are packed counts (the events' shape): a customer
 * with too many rows for the slots is quarantined with `tooManyReason` instead of miscounted.
 */
export function customerCountsStageSql(spec: {
  checked: string;
  timestamp: string;
  asOf: string;
  counts: PackedCounts;
  tooManyReason: RejectReason;
  rawColumns: string[];
}): string {
  return aggregatedStageSql({
    checked: spec.checked,
    timestamp: spec.timestamp,
    asOf: spec.asOf,
    keys: {},
    primary: { grain: 'customer', keys: [] },
    more: [],
    okValues: {},
    aggregates: spec.counts.sums,
    outputs: spec.counts.counts,
    tooMany: { reason: spec.tooManyReason, unless: spec.counts.fits },
    rawColumns: spec.rawColumns,
  });
}

/**
 * The single scan of a fact table, in one statement: rows are validated, then aggregated at every grain the
 * features need (per order, per customer, …), keeping each distinct rejected row with its reason, file and raw
 * values. The result is small (about one row per customer and grain) instead of one row per input row, so it fits
 * in memory at tens of millions of input rows and later steps never touch the raw table again.
 *
 * Rejected rows are not a grouping set of their own: every grouping set computes every aggregate over every row,
 * so a separate reject set doubled the cost of the scan. They are grouped in the primary grain instead, under a
 * key no accepted customer id can take: accepted ids are trimmed, the reject key starts with a space and spells
 * out the reason, the file name's length, the file and the raw values. The reason and file are read back from the
 * key rather than carried as min() aggregates: string aggregates over the ten million order groups cost about
 * 2.5 s of a 13 s scan. Accepted rows dated after the as-of date make up the primary grain's one group without a
 * key.
 */
export interface AggregatedStage {
  checked: string;
  timestamp: string;
  asOf: string;
  /** Grain key columns besides customer_id, with the checked-row expression they come from. */
  keys: Record<string, string>;
  /** The primary grain: each accepted row up to the as-of date is in exactly one of its groups. */
  primary: { grain: string; keys: string[] };
  /** Further grains of the same accepted rows, each a grouping set of its own. */
  more: { grain: string; keys: string[] }[];
  /** Values computed for in-window accepted rows only (NULL elsewhere), for aggregates to use. */
  okValues: Record<string, string>;
  /** Aggregate name → expression. */
  aggregates: Record<string, string>;
  /** Staged column name → expression over the aggregates; without it the aggregates are staged as they are. */
  outputs?: Record<string, string>;
  /** A customer's group too big for the aggregates (`unless` is false over it) is quarantined with `reason`. */
  tooMany?: { reason: RejectReason; unless: string };
  /** Raw values kept for quarantined rows, as one "field=value …" text (one column keeps the staged rows narrow). */
  rawColumns: string[];
}

/** A readable "field=value …" rendering of a row's raw values; NULL shows as NULL. */
export function rowValuesSql(columns: readonly string[]): string {
  const parts = columns.flatMap((c, i) => [sqlString(`${i === 0 ? '' : ' '}${c.replace(/_text$/, '')}=`), `coalesce(${c}, 'NULL')`]);
  return `concat(${parts.join(', ')})`;
}

export function aggregatedStageSql(spec: AggregatedStage): string {
  const end = sqlTimestamp(new Date(`${addDays(spec.asOf, 1)}T00:00:00Z`));
  const inWindow = `reject_reason IS NULL AND ${spec.timestamp} < ${end}`;
  const rejectKey = `concat(' ', reject_reason, ' ', CAST(length(source_file) AS varchar), ' ', source_file, ' ', ${rowValuesSql(spec.rawColumns)})`;
  const keyColumns = [
    `CASE WHEN ${inWindow} THEN customer_id WHEN reject_reason IS NOT NULL THEN ${rejectKey} END AS k_group`,
    ...(spec.more.length > 0 ? [`CASE WHEN ${inWindow} THEN customer_id END AS k_customer_id`] : []),
    ...Object.entries(spec.keys).map(([name, expr]) => `CASE WHEN ${inWindow} THEN ${expr} END AS k_${name}`),
    ...Object.entries(spec.okValues).map(([name, expr]) => `CASE WHEN ${inWindow} THEN ${expr} END AS ${name}`),
  ];
  const sets = [
    { grain: spec.primary.grain, columns: ['k_group', ...spec.primary.keys.map((k) => `k_${k}`)] },
    ...spec.more.map((g) => ({ grain: g.grain, columns: ['k_customer_id', ...g.keys.map((k) => `k_${k}`)] })),
  ];
  const keyNames = Object.keys(spec.keys);
  const all = [...new Set(sets.flatMap((set) => set.columns))];
  // grouping(…) sets the bit of every column a set leaves out; the leftmost column is the highest bit.
  const mask = (columns: string[]) => all.reduce((m, column, i) => (columns.includes(column) ? m : m | (1 << (all.length - 1 - i))), 0);
  const singleSet = sets.length === 1;
  // The other sets' key-less groups collect the rejected rows too; only the primary grain reports them.
  const primary = `grain_set = ${sqlString(spec.primary.grain)}`;
  const isTooMany = spec.tooMany ? `coalesce(${primary} AND NOT starts_with(k_group, ' ') AND NOT (${spec.tooMany.unless}), false)` : 'false';
  const reason = "split_part(k_group, ' ', 2)";
  const fileLength = "split_part(k_group, ' ', 3)";
  const fileStart = `length(${reason}) + length(${fileLength}) + 4`;
  const setOf = singleSet ? sqlString(spec.primary.grain) : `CASE grouping(${all.join(', ')}) ${sets.map((set) => `WHEN ${mask(set.columns)} THEN ${sqlString(set.grain)}`).join(' ')} END`;
  const groupBy = singleSet ? `GROUP BY ${all.join(', ')}` : `GROUP BY GROUPING SETS (\n  ${sets.map((set) => `(${set.columns.join(', ')})`).join(',\n  ')}\n)`;
  return `${spec.checked}, keyed AS (
  SELECT checked.*,
    ${keyColumns.join(',\n    ')}
  FROM checked
), grouped AS (
  SELECT ${setOf} AS grain_set,
    ${all.join(', ')},
    count(*) AS rows_count,
    min(${spec.timestamp}) AS min_ts,
    max(${spec.timestamp}) AS max_ts,
    ${Object.entries(spec.aggregates).map(([name, expr]) => `${expr} AS ${name}`).join(',\n    ')}
  FROM keyed
  ${groupBy}
), classified AS (
  SELECT grouped.*,
    coalesce(${primary} AND starts_with(k_group, ' '), false) AS is_reject,
    ${isTooMany} AS is_too_many
  FROM grouped
)
SELECT CASE WHEN is_reject OR is_too_many THEN 'reject' ELSE grain_set END AS grain,
  CASE WHEN starts_with(k_group, ' ') OR is_too_many THEN NULL ELSE ${spec.more.length > 0 ? 'coalesce(k_group, k_customer_id)' : 'k_group'} END AS customer_id,
  ${keyNames.map((k) => `k_${k} AS ${k}`).join(', ')}${keyNames.length > 0 ? ',' : ''}
  CASE WHEN is_reject THEN ${reason}${spec.tooMany ? ` WHEN is_too_many THEN ${sqlString(spec.tooMany.reason)}` : ''} END AS reject_reason,
  CASE WHEN is_reject THEN substr(k_group, ${fileStart}, CAST(${fileLength} AS integer)) END AS source_file,
  CASE WHEN is_reject THEN substr(k_group, ${fileStart} + CAST(${fileLength} AS integer) + 1)${spec.tooMany ? " WHEN is_too_many THEN concat('customer_id=', k_group)" : ''} END AS row_values,
  rows_count, min_ts, max_ts,
  ${(spec.outputs ? Object.entries(spec.outputs).map(([name, expr]) => `${expr} AS ${name}`) : Object.keys(spec.aggregates)).join(', ')}
FROM classified`;
}

export const STAGE_SQL: Record<TableName, (rel: Relations, ctx: { asOf: string; config: SegmentsConfig }) => string> = {
  orders: (rel, ctx) => stageOrdersSql(rel, ctx.asOf, ctx.config.currency),
  customers: (rel, ctx) => stageCustomersSql(rel, Number(ctx.asOf.slice(0, 4))),
  events: (rel, ctx) => stageEventsSql(rel, ctx.asOf),
};

/** The field a quality.json example names for a reason; a timestamp reason names the table's timestamp column. */
export function rejectField(table: TableName, reason: RejectReason): string {
  if (reason === 'missing_timestamp' || reason === 'bad_timestamp') return TABLES[table].columns.filter((c) => c.timestamp).map((c) => c.name).join(' / ');
  return REJECT_FIELD[reason];
}

const REJECT_FIELD: Record<Exclude<RejectReason, 'missing_timestamp' | 'bad_timestamp'>, string> = {
  missing_customer_id: 'customer_id',
  missing_order_id: 'order_id',
  missing_amount: 'amount',
  non_numeric_amount: 'amount',
  bad_currency: 'currency',
  unknown_currency: 'currency',
  unknown_channel: 'channel',
  unknown_event_type: 'event_type',
  unknown_device_type: 'device_type',
  unknown_gender: 'gender',
  unknown_income_band: 'income_band',
  unknown_education: 'education',
  unknown_marital_status: 'marital_status',
  bad_birth_year: 'birth_year',
  bad_signup_date: 'signup_date',
  bad_consent_flag: 'email_opt_in / sms_opt_in / push_opt_in',
  value_too_long: 'a text field over 256 characters',
  too_many_events: 'customer_id (2^26 or more events in the window)',
};
