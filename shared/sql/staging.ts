import {
  DEVICE_TYPES,
  EDUCATION_LEVELS,
  EVENT_CHANNELS,
  EVENT_TYPES,
  GENDERS,
  INCOME_BANDS,
  MARITAL_STATUSES,
  ORDER_CHANNELS,
  type RejectReason,
  type TableName,
} from '../contracts/lake.ts';
import type { SegmentsConfig } from '../contracts/config.ts';
import type { Relations } from './relations.ts';
import { sqlString, sqlStringList } from './literals.ts';

/**
 * Staging: the one scan of each input table. It reads every column as the contract describes it, types it, and
 * gives each row either no reject reason (accepted) or exactly one (quarantined). The checks run in a fixed
 * order so a row with several defects is always reported under the same reason.
 *
 * Raw columns are text in CSV and JSON inputs but may be typed in Parquet, so every text operation starts
 * from CAST(… AS varchar), which is a no-op on text in both engines.
 */

const text = (column: string) => `nullif(trim(CAST(${column} AS varchar)), '')`;
/** Enum text: case-insensitive, '-' and ' ' read as '_' ("Non-Binary" → non_binary). */
const enumText = (column: string) => `replace(replace(lower(${text(column)}), '-', '_'), ' ', '_')`;
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
 * Raw text and the source file are kept for quarantined rows only: accepted rows never need them again, and
 * on tens of millions of events they would dominate the staged table's size.
 */
const rejectedOnly = (columns: readonly string[]) =>
  columns.map((c) => `CASE WHEN reject_reason IS NOT NULL THEN ${c} END AS ${c}`).join(',\n  ');

const tooLong = (columns: readonly string[]) => columns.map((c) => `coalesce(length(${c}), 0) > ${MAX_TEXT}`).join(' OR ');

export function stageOrdersSql(rel: Relations, currency?: SegmentsConfig['currency']): string {
  const checks: Check[] = [
    { reason: 'missing_customer_id', when: 'customer_id IS NULL' },
    { reason: 'missing_order_id', when: 'order_id IS NULL' },
    { reason: 'missing_timestamp', when: 'order_ts_text IS NULL' },
    { reason: 'bad_timestamp', when: 'order_ts IS NULL' },
    { reason: 'missing_amount', when: 'amount_text IS NULL' },
    // NaN and ±Infinity parse as doubles in both engines; neither is an amount.
    { reason: 'non_numeric_amount', when: 'amount IS NULL OR NOT (abs(amount) < 1e12)' },
    { reason: 'bad_currency', when: "currency IS NOT NULL AND NOT regexp_like(currency, '^[A-Z]{3}$')" },
    ...(currency
      ? [{ reason: 'unknown_currency' as const, when: `currency IS NOT NULL AND currency NOT IN ${sqlStringList([currency.reporting, ...Object.keys(currency.rates)])}` }]
      : []),
    { reason: 'unknown_channel', when: `channel IS NOT NULL AND channel NOT IN ${sqlStringList(ORDER_CHANNELS)}` },
    { reason: 'value_too_long', when: tooLong(['customer_id', 'order_id', 'category', 'country']) },
  ];
  return `WITH src AS (
  SELECT source_file,
    ${text('order_id')} AS order_id,
    ${text('customer_id')} AS customer_id,
    ${text('order_ts')} AS order_ts_text,
    ${text('amount')} AS amount_text,
    upper(${text('currency')}) AS currency,
    lower(${text('category')}) AS category,
    ${enumText('channel')} AS channel,
    ${text('country')} AS country
  FROM ${rel.raw_orders}
), typed AS (
  SELECT src.*, ${isoTimestamp('order_ts_text')} AS order_ts, try_cast(amount_text AS double) AS amount
  FROM src
), checked AS (
  SELECT typed.*, ${rejectReasonSql(checks)} AS reject_reason
  FROM typed
)
SELECT customer_id, order_id, order_ts, amount, currency, category, channel, country, reject_reason,
  ${rejectedOnly(['source_file', 'order_ts_text', 'amount_text'])}
FROM checked`;
}

export function stageCustomersSql(rel: Relations, asOfYear: number): string {
  const consentColumns = ['email_opt_in', 'sms_opt_in', 'push_opt_in'] as const;
  const checks: Check[] = [
    { reason: 'missing_customer_id', when: 'customer_id IS NULL' },
    { reason: 'bad_birth_year', when: `birth_year_text IS NOT NULL AND (birth_year IS NULL OR birth_year < 1900 OR birth_year > ${asOfYear})` },
    { reason: 'unknown_gender', when: `gender IS NOT NULL AND gender NOT IN ${sqlStringList(GENDERS)}` },
    { reason: 'unknown_income_band', when: `income_band IS NOT NULL AND income_band NOT IN ${sqlStringList(INCOME_BANDS)}` },
    { reason: 'unknown_education', when: `education IS NOT NULL AND education NOT IN ${sqlStringList(EDUCATION_LEVELS)}` },
    { reason: 'unknown_marital_status', when: `marital_status IS NOT NULL AND marital_status NOT IN ${sqlStringList(MARITAL_STATUSES)}` },
    { reason: 'bad_signup_date', when: 'signup_date_text IS NOT NULL AND signup_date IS NULL' },
    { reason: 'bad_timestamp', when: 'updated_at_text IS NOT NULL AND updated_at IS NULL' },
    {
      reason: 'bad_consent_flag',
      when: consentColumns.map((c) => `(${c}_text IS NOT NULL AND ${c} IS NULL)`).join(' OR '),
    },
    { reason: 'value_too_long', when: tooLong(['customer_id', 'occupation', 'country', 'region', 'city']) },
  ];
  return `WITH src AS (
  SELECT source_file,
    ${text('customer_id')} AS customer_id,
    ${text('birth_year')} AS birth_year_text,
    ${enumText('gender')} AS gender,
    ${enumText('income_band')} AS income_band,
    ${enumText('education')} AS education,
    ${enumText('marital_status')} AS marital_status,
    lower(${text('occupation')}) AS occupation,
    ${text('country')} AS country,
    ${text('region')} AS region,
    ${text('city')} AS city,
    ${text('interests')} AS interests_text,
    ${text('lifestyle')} AS lifestyle_text,
    ${consentColumns.map((c) => `${text(c)} AS ${c}_text`).join(',\n    ')},
    ${text('signup_date')} AS signup_date_text,
    ${text('updated_at')} AS updated_at_text
  FROM ${rel.raw_customers}
), typed AS (
  SELECT src.*,
    try_cast(birth_year_text AS integer) AS birth_year,
    ${consentColumns.map((c) => `${consent(`${c}_text`)} AS ${c}`).join(',\n    ')},
    try(from_iso8601_date(signup_date_text)) AS signup_date,
    ${isoTimestamp('updated_at_text')} AS updated_at,
    ${tags('interests_text')} AS interests,
    ${tags('lifestyle_text')} AS lifestyle
  FROM src
)
SELECT typed.*, ${rejectReasonSql(checks)} AS reject_reason
FROM typed`;
}

export function stageEventsSql(rel: Relations): string {
  const checks: Check[] = [
    { reason: 'missing_customer_id', when: 'customer_id IS NULL' },
    { reason: 'missing_timestamp', when: 'event_ts_text IS NULL' },
    { reason: 'bad_timestamp', when: 'event_ts IS NULL' },
    { reason: 'unknown_event_type', when: `event_type IS NULL OR event_type NOT IN ${sqlStringList(EVENT_TYPES)}` },
    { reason: 'unknown_channel', when: `channel IS NOT NULL AND channel NOT IN ${sqlStringList(EVENT_CHANNELS)}` },
    { reason: 'unknown_device_type', when: `device_type IS NOT NULL AND device_type NOT IN ${sqlStringList(DEVICE_TYPES)}` },
    { reason: 'value_too_long', when: tooLong(['customer_id', 'os', 'browser']) },
  ];
  return `WITH src AS (
  SELECT source_file,
    ${text('customer_id')} AS customer_id,
    ${text('event_ts')} AS event_ts_text,
    ${enumText('event_type')} AS event_type,
    ${enumText('channel')} AS channel,
    ${enumText('device_type')} AS device_type,
    lower(${text('os')}) AS os,
    lower(${text('browser')}) AS browser
  FROM ${rel.raw_events}
), typed AS (
  SELECT src.*, ${isoTimestamp('event_ts_text')} AS event_ts
  FROM src
), checked AS (
  SELECT typed.*, ${rejectReasonSql(checks)} AS reject_reason
  FROM typed
)
SELECT customer_id, event_ts, event_type, channel, device_type, os, browser, reject_reason,
  ${rejectedOnly(['source_file', 'event_ts_text'])}
FROM checked`;
}

export const STAGE_SQL: Record<TableName, (rel: Relations, ctx: { asOfYear: number; config: SegmentsConfig }) => string> = {
  orders: (rel, ctx) => stageOrdersSql(rel, ctx.config.currency),
  customers: (rel, ctx) => stageCustomersSql(rel, ctx.asOfYear),
  events: (rel) => stageEventsSql(rel),
};

/** The field a reject reason is about, for error messages and the quarantine files. */
export const REJECT_FIELD: Record<RejectReason, string> = {
  missing_customer_id: 'customer_id',
  missing_order_id: 'order_id',
  missing_timestamp: 'order_ts / event_ts',
  bad_timestamp: 'order_ts / event_ts / updated_at',
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
};
