import * as z from 'zod';
import { REJECT_REASONS, TABLE_NAMES } from './lake.ts';

/**
 * Output contracts. Every JSON file a run publishes is validated against these before it is written, and they
 * are published as JSON Schema (`npm run schemas`) for the dashboard, BI users and marketers' tools.
 * `schema_version` changes when a field changes meaning or disappears.
 */
export const OUTPUT_SCHEMA_VERSION = 1;

export const Provenance = z.object({
  schema_version: z.literal(OUTPUT_SCHEMA_VERSION),
  run_id: z.string(),
  as_of: z.string().describe('the as-of date (YYYY-MM-DD): data up to the end of this UTC day'),
  generated_at: z.string(),
  data_from: z.string().nullable().describe('oldest accepted order/event timestamp used'),
  data_to: z.string().nullable().describe('newest accepted order/event timestamp used'),
  config_hash: z.string().describe('sha-256 prefix of the effective segment config'),
  engine: z.enum(['duckdb', 'athena']),
  tool_version: z.string(),
});
export type Provenance = z.infer<typeof Provenance>;

const ValueCount = z.object({ value: z.string().nullable(), customers: z.number().int(), share: z.number() });
export type ValueCount = z.infer<typeof ValueCount>;

export const SegmentKind = z.enum(['all', 'rfm', 'lifecycle', 'rule']);
export type SegmentKind = z.infer<typeof SegmentKind>;

export const CutPoint = z.object({
  metric: z.enum(['recency_days', 'frequency', 'monetary']),
  score: z.number().int().min(1).max(5),
  min_value: z.number(),
  max_value: z.number(),
  customers: z.number().int(),
});

export const RfmSummary = z.object({
  status: z.enum(['ok', 'insufficient_data']),
  bins: z.number().int().min(1).max(5),
  buyers: z.number().int(),
  min_buyers_for_quintiles: z.number().int(),
  cut_points: z.array(CutPoint),
});
export type RfmSummary = z.infer<typeof RfmSummary>;

export const SegmentSummary = z.object({
  id: z.string(),
  name: z.string(),
  kind: SegmentKind,
  description: z.string().optional(),
  size: z.number().int(),
  share: z.number(),
  revenue: z.number().describe('net revenue (returns subtracted) of the segment’s customers'),
  revenue_share: z.number(),
  purchase_orders: z.number().int(),
  avg_order_value: z.number().nullable(),
  avg_frequency: z.number().nullable(),
  median_recency_days: z.number().nullable(),
  buyers_share: z.number(),
  browsers_share: z.number().describe('customers with events but no purchase order'),
  conversion_rate: z.number().nullable().describe('purchase events / product views'),
  cart_abandonment_rate: z.number().nullable().describe('1 − purchase events / add-to-cart events'),
  return_rate: z.number().nullable().describe('returned amount / purchase revenue (orders with a negative total / orders with a positive total)'),
  email_opt_in_share: z.number(),
  mobile_share: z.number().nullable(),
  top_categories: z.array(ValueCount),
  top_channels: z.array(ValueCount),
  top_devices: z.array(ValueCount),
});
export type SegmentSummary = z.infer<typeof SegmentSummary>;

export const SegmentsDocument = z.object({
  provenance: Provenance,
  customers: z.number().int(),
  revenue: z.number(),
  rfm: RfmSummary,
  segments: z.array(SegmentSummary),
});
export type SegmentsDocument = z.infer<typeof SegmentsDocument>;

const Distribution = z.object({
  dominant: z.string().nullable(),
  dominant_share: z.number().nullable(),
  known_share: z.number().describe('share of the segment for which this attribute is known'),
  values: z.array(ValueCount),
});
export type Distribution = z.infer<typeof Distribution>;

export const ChannelPreference = z.object({
  channel: z.enum(['email', 'sms', 'push', 'social', 'web', 'app', 'store']),
  score: z.number().describe('0–1: reachability (consent) × engagement, see README'),
  reachable_share: z.number(),
  evidence: z.string(),
});

export const Persona = z.object({
  segment_id: z.string(),
  segment_kind: SegmentKind,
  segment_name: z.string(),
  name: z.string(),
  description: z.string(),
  size: z.number().int(),
  share: z.number(),
  key_figures: z.object({
    revenue_share: z.number(),
    avg_order_value: z.number().nullable(),
    avg_frequency: z.number().nullable(),
    median_recency_days: z.number().nullable(),
    buyers_share: z.number(),
    conversion_rate: z.number().nullable(),
    avg_age: z.number().nullable(),
  }),
  demographics: z.object({
    age_band: Distribution,
    gender: Distribution,
    income_band: Distribution,
    education: Distribution,
    country: Distribution,
  }),
  top_interests: z.array(ValueCount),
  top_categories: z.array(ValueCount),
  devices: z.array(ValueCount),
  preferred_channels: z.array(ChannelPreference),
});
export type Persona = z.infer<typeof Persona>;

export const PersonasDocument = z.object({ provenance: Provenance, personas: z.array(Persona) });
export type PersonasDocument = z.infer<typeof PersonasDocument>;

export const TableQuality = z.object({
  present: z.boolean(),
  files: z.number().int(),
  bytes: z.number().int(),
  formats: z.array(z.string()),
  rows_read: z.number().int(),
  rows_accepted: z.number().int(),
  rows_rejected: z.number().int(),
  rejected_share: z.number(),
  rejected_by_reason: z.partialRecord(z.enum([...REJECT_REASONS, 'malformed_line']), z.number().int()),
  rows_after_as_of: z.number().int().describe('accepted rows dated after the as-of date: left for a later run'),
  min_ts: z.string().nullable(),
  max_ts: z.string().nullable(),
  examples: z.array(
    z.object({ reason: z.string(), field: z.string(), file: z.string().nullable(), line: z.number().int().optional(), values: z.string() }),
  ),
  quarantine: z.string().nullable().describe('key of the Parquet folder holding every quarantined row'),
});
export type TableQuality = z.infer<typeof TableQuality>;

export const QualityDocument = z.object({
  provenance: Provenance,
  status: z.enum(['passed', 'failed']),
  failures: z.array(z.string()),
  warnings: z.array(z.string()),
  tables: z.partialRecord(z.enum(TABLE_NAMES), TableQuality),
  coverage: z.object({
    customers: z.number().int(),
    with_rfm_segment: z.number().int(),
    with_lifecycle_stage: z.number().int(),
    share: z.number(),
  }),
  freshness: z.object({ newest_data: z.string().nullable(), age_days: z.number().nullable(), status: z.enum(['fresh', 'stale_warning', 'stale']) }),
  rfm: z.object({ status: z.enum(['ok', 'insufficient_data']), bins: z.number().int(), buyers: z.number().int() }),
  queries: z.array(z.object({ step: z.string(), wall_ms: z.number(), engine_ms: z.number(), bytes_scanned: z.number().optional(), query_id: z.string().optional() })),
});
export type QualityDocument = z.infer<typeof QualityDocument>;

export const ManifestDocument = z.object({
  provenance: Provenance,
  files: z.array(z.object({ key: z.string(), bytes: z.number().int(), sha256: z.string().optional() })),
});
export type ManifestDocument = z.infer<typeof ManifestDocument>;

export const LatestPointer = z.object({
  schema_version: z.literal(OUTPUT_SCHEMA_VERSION),
  run_id: z.string(),
  as_of: z.string(),
  completed_at: z.string(),
  config_hash: z.string(),
  prefix: z.string().describe('key prefix of the complete run, e.g. runs/<run_id>/'),
  manifest: z.string(),
});
export type LatestPointer = z.infer<typeof LatestPointer>;

export const OUTPUT_SCHEMAS = {
  segments: SegmentsDocument,
  personas: PersonasDocument,
  quality: QualityDocument,
  manifest: ManifestDocument,
  latest: LatestPointer,
} as const;
