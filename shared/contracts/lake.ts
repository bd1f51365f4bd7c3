import * as z from 'zod';

/**
 * The input contract: one folder (or S3 prefix) per table under the lake root.
 *
 * Files arrive as CSV with a header, JSON Lines or Parquet, optionally Hive-partitioned (`dt=YYYY-MM-DD/`).
 * The schemas below describe one row after the engine has read it as text; the SQL staging step
 * (`shared/sql/staging.ts`) enforces the same rules row by row and quarantines what breaks them, so these zod
 * schemas are the documentation, the JSON Schema users validate their exports with, and the test oracle.
 */

export const ORDER_CHANNELS = ['web', 'app', 'store', 'phone', 'marketplace', 'social'] as const;
export const GENDERS = ['female', 'male', 'non_binary', 'other', 'undisclosed'] as const;
export const INCOME_BANDS = ['low', 'lower_middle', 'middle', 'upper_middle', 'high'] as const;
export const EDUCATION_LEVELS = ['primary', 'secondary', 'vocational', 'bachelor', 'master', 'doctorate'] as const;
export const MARITAL_STATUSES = ['single', 'married', 'partnered', 'divorced', 'widowed'] as const;
export const EVENT_TYPES = [
  'page_view',
  'product_view',
  'search',
  'add_to_cart',
  'remove_from_cart',
  'checkout_start',
  'purchase',
  'email_open',
  'email_click',
  'sms_click',
  'push_open',
  'app_open',
  'social_click',
  'review',
] as const;
export const EVENT_CHANNELS = ['web', 'app', 'email', 'sms', 'push', 'social', 'store'] as const;
export const DEVICE_TYPES = ['desktop', 'mobile', 'tablet', 'smart_tv', 'wearable', 'other'] as const;
/**
 * The operating systems and browsers the technographic features name; os and browser stay free text in the input,
 * and any other value counts as 'other'.
 */
export const OS_FAMILIES = ['android', 'chromeos', 'ios', 'linux', 'macos', 'windows'] as const;
export const BROWSER_FAMILIES = ['chrome', 'edge', 'firefox', 'opera', 'safari', 'samsung_internet'] as const;

/** ISO-8601 date-time as accepted by Trino's from_iso8601_timestamp (and our DuckDB shim of it). */
export const ISO_TIMESTAMP_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?$';
const isoTimestamp = z.string().regex(new RegExp(ISO_TIMESTAMP_PATTERN), 'ISO-8601 timestamp, e.g. 2026-03-01T14:05:00Z');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date as YYYY-MM-DD');
const id = z.string().trim().min(1).max(256);
const tagList = z
  .union([z.array(z.string()), z.string()])
  .describe('tags: an array in JSON Lines/Parquet, or a "|"-separated string in CSV, e.g. "running|cooking"');
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]);
/** Enum values are matched case-insensitively after trimming. */
const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values);

export const OrderRow = z
  .object({
    order_id: id.describe('order (invoice) id; several rows may share it, one per line'),
    customer_id: id,
    order_ts: isoTimestamp.describe('when the order was placed; without an offset it is read as UTC'),
    amount: z.coerce.number().refine(Number.isFinite, 'finite number').describe('line or order amount; negative = return/refund'),
    currency: z.string().regex(/^[A-Za-z]{3}$/).optional().describe('ISO 4217 code'),
    category: z.string().max(200).optional(),
    channel: oneOf(ORDER_CHANNELS).optional(),
    country: z.string().max(100).optional(),
  })
  .describe('orders/: one row per order line (or per order). Required table.');

export const CustomerRow = z
  .object({
    customer_id: id,
    birth_year: z.coerce.number().int().min(1900).max(2100).optional(),
    gender: oneOf(GENDERS).optional(),
    income_band: oneOf(INCOME_BANDS).optional(),
    education: oneOf(EDUCATION_LEVELS).optional(),
    marital_status: oneOf(MARITAL_STATUSES).optional(),
    occupation: z.string().max(200).optional(),
    country: z.string().max(100).optional(),
    region: z.string().max(200).optional(),
    city: z.string().max(200).optional(),
    interests: tagList.optional(),
    lifestyle: tagList.optional(),
    email_opt_in: bool.optional(),
    sms_opt_in: bool.optional(),
    push_opt_in: bool.optional(),
    signup_date: isoDate.optional(),
    updated_at: isoTimestamp.optional().describe('when the row was last changed; the newest row per customer wins'),
  })
  .describe('customers/: one row per customer (or per change of a customer). Optional table.');

export const EventRow = z
  .object({
    customer_id: id,
    event_ts: isoTimestamp,
    event_type: oneOf(EVENT_TYPES),
    channel: oneOf(EVENT_CHANNELS).optional(),
    device_type: oneOf(DEVICE_TYPES).optional(),
    os: z.string().max(100).optional().describe(`operating system; ${OS_FAMILIES.join(', ')} are recognised (case-insensitive), anything else counts as other`),
    browser: z.string().max(100).optional().describe(`browser; ${BROWSER_FAMILIES.join(', ')} are recognised (case-insensitive), anything else counts as other`),
  })
  .describe('events/: web, app and messaging events of known customers. Optional table.');

export type OrderRow = z.infer<typeof OrderRow>;
export type CustomerRow = z.infer<typeof CustomerRow>;
export type EventRow = z.infer<typeof EventRow>;

export const TABLE_NAMES = ['orders', 'customers', 'events'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export interface ColumnSpec {
  readonly name: string;
  readonly required: boolean;
  /** How the column holds a list, so the local reader can flatten arrays the same way for every format. */
  readonly list?: boolean;
  /** Timestamp columns: a typed Parquet timestamp is rendered as ISO-8601 text before staging. */
  readonly timestamp?: boolean;
}

export interface TableSpec {
  readonly name: TableName;
  readonly required: boolean;
  readonly schema: z.ZodObject;
  readonly columns: readonly ColumnSpec[];
  readonly example: Record<string, unknown>;
}

function columnsOf(schema: z.ZodObject, lists: string[] = [], timestamps: string[] = []): ColumnSpec[] {
  return Object.entries(schema.shape).map(([name, type]) => ({
    name,
    required: !(type as z.ZodType).safeParse(undefined).success,
    list: lists.includes(name),
    timestamp: timestamps.includes(name),
  }));
}

export const TABLES: Record<TableName, TableSpec> = {
  orders: {
    name: 'orders',
    required: true,
    schema: OrderRow,
    columns: columnsOf(OrderRow, [], ['order_ts']),
    example: {
      order_id: 'o-100231',
      customer_id: 'c-00042',
      order_ts: '2026-10-31T18:22:05Z',
      amount: 59.9,
      currency: 'EUR',
      category: 'costumes',
      channel: 'web',
      country: 'DE',
    },
  },
  customers: {
    name: 'customers',
    required: false,
    schema: CustomerRow,
    columns: columnsOf(CustomerRow, ['interests', 'lifestyle'], ['updated_at']),
    example: {
      customer_id: 'c-00042',
      birth_year: 1991,
      gender: 'female',
      income_band: 'upper_middle',
      education: 'master',
      marital_status: 'married',
      occupation: 'engineer',
      country: 'DE',
      region: 'Bavaria',
      city: 'Munich',
      interests: 'running|cooking',
      lifestyle: 'urban|eco_conscious',
      email_opt_in: true,
      sms_opt_in: false,
      push_opt_in: true,
      signup_date: '2023-04-17',
      updated_at: '2026-09-01T08:00:00Z',
    },
  },
  events: {
    name: 'events',
    required: false,
    schema: EventRow,
    columns: columnsOf(EventRow, [], ['event_ts']),
    example: {
      customer_id: 'c-00042',
      event_ts: '2026-11-20T21:14:09Z',
      event_type: 'add_to_cart',
      channel: 'app',
      device_type: 'mobile',
      os: 'ios',
      browser: 'safari',
    },
  },
};

/** Why a row was quarantined. Stable strings: they appear in quality.json and the quarantine files. */
export const REJECT_REASONS = [
  'missing_customer_id',
  'missing_order_id',
  'missing_timestamp',
  'bad_timestamp',
  'missing_amount',
  'non_numeric_amount',
  'bad_currency',
  'unknown_currency',
  'unknown_channel',
  'unknown_event_type',
  'unknown_device_type',
  'unknown_gender',
  'unknown_income_band',
  'unknown_education',
  'unknown_marital_status',
  'bad_birth_year',
  'bad_signup_date',
  'bad_consent_flag',
  'value_too_long',
  // A customer id with 2^26 or more events in the window (a shared or robot id): all its events are quarantined.
  'too_many_events',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
