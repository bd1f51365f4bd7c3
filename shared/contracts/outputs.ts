import * as z from 'zod';
import { REJECT_REASONS, TABLE_NAMES } from './lake.ts';
import { STATE_GRAINS } from '../sql/state.ts';

/**
 * Output contracts. Every JSON file a run publishes is validated against these before it is written, and they
 * are published as JSON Schema (`npm run schemas`) for the dashboard, BI users and marketers' tools.
 * `schema_version` changes when a field changes meaning or disappears.
 */
export const OUTPUT_SCHEMA_VERSION = 2;

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

export const SegmentKind = z.enum(['all', 'rfm', 'lifecycle', 'rule', 'discovered']);
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

/** Persona discovery (shared/discovery/): k-means on standardised features of a sample, k by silhouette. */
export const DiscoverySummary = z.object({
  status: z.enum(['ok', 'skipped']),
  reason: z.string().optional(),
  method: z.string(),
  criterion: z.string().describe('how k was chosen'),
  k: z.number().int().nullable(),
  k_range: z.tuple([z.number().int(), z.number().int()]),
  customers: z.number().int().describe('customers the statistics cover (all of them)'),
  sample_size: z.number().int().describe('customers the k-means was fitted on'),
  silhouette_sample_size: z.number().int(),
  seed: z.number().int(),
  restarts: z.number().int(),
  features: z.array(z.object({ id: z.string(), description: z.string(), mean: z.number(), stddev: z.number() })),
  candidates: z.array(z.object({ k: z.number().int(), silhouette: z.number(), inertia: z.number() })).describe('the criterion per candidate k'),
  clusters: z.array(
    z.object({
      segment_id: z.string(),
      name: z.string(),
      sample_customers: z.number().int(),
      centre: z.record(z.string(), z.number()).describe('the centre in the features’ own units'),
      centre_z: z.record(z.string(), z.number()).describe('the centre in standard deviations from the mean'),
    }),
  ),
});
export type DiscoverySummary = z.infer<typeof DiscoverySummary>;

// Without it a figure like "revenue 555939.1" cannot be read; null when no reporting currency is configured and amounts are summed as they come.
const MoneyCurrency = z
  .string()
  .regex(/^[A-Z]{3}$/)
  .nullable()
  .default(null)
  .describe('ISO 4217 code of every money figure (the configured reporting currency); null when amounts are summed as they come, without conversion');

export const SegmentsDocument = z.object({
  provenance: Provenance,
  currency: MoneyCurrency,
  customers: z.number().int(),
  revenue: z.number(),
  rfm: RfmSummary,
  segments: z.array(SegmentSummary),
  discovery: DiscoverySummary.optional().describe('how the discovered segments (kind "discovered") were found'),
});
export type SegmentsDocument = z.infer<typeof SegmentsDocument>;


export const PERSONA_LANGUAGES = ['en', 'de', 'ko', 'ja', 'nb'] as const;
export const PersonaLanguage = z.enum(PERSONA_LANGUAGES);
export type PersonaLanguage = z.infer<typeof PersonaLanguage>;

export const PERSONA_CHANNELS = ['email', 'sms', 'push', 'social', 'web', 'app', 'store'] as const;
export const ARCHETYPES = [
  'browser',
  'lapsed',
  'loyal_regular',
  'newcomer',
  'holiday_shopper',
  'returner',
  'big_spender',
  'bargain_hunter',
  'mobile_native',
  'occasional',
] as const;
export const INNOVATION_TYPES = ['innovator', 'early_adopter', 'early_majority', 'late_majority', 'laggard'] as const;

/** The figure behind a statement: the segment's value, all customers' value and the rule's threshold. */
export const Evidence = z.object({
  metric: z.string().describe('figure name (a segments.json field, a summary ratio or `<dimension>=<value>`)'),
  value: z.number().nullable(),
  baseline: z.number().nullable().optional().describe('the same figure for all customers'),
  threshold: z.number().optional().describe('the rule’s threshold the value was compared with'),
});
export type Evidence = z.infer<typeof Evidence>;

/** A rendered statement with a stable code (language-neutral) and the figures it rests on. */
export const PersonaStatement = z.object({ code: z.string(), text: z.string(), evidence: z.array(Evidence) });
export type PersonaStatement = z.infer<typeof PersonaStatement>;

const PersonaValue = z.object({
  value: z.string(),
  label: z.string().describe('the value in the persona’s language (free-text data values stay as in the data)'),
  customers: z.number().int(),
  share: z.number().describe('share of the segment'),
  baseline_share: z.number().nullable().describe('share of all customers'),
  lift: z.number().nullable().describe('share / baseline_share'),
});

export const PersonaDistribution = z.object({
  dominant: z.string().nullable(),
  dominant_label: z.string().nullable(),
  dominant_share: z.number().nullable().describe('share of the customers with a known value'),
  known_share: z.number().describe('coverage: share of the segment for which this attribute is known'),
  values: z.array(PersonaValue).describe('values held by at least personas.minSegmentSize customers, most first'),
  other: z
    .object({
      customers: z.number().int().describe('customers holding one of the folded values (tag lists: tag mentions)'),
      share: z.number().nullable().describe('customers / segment size; null for tag lists, where one customer holds several tags'),
      values: z.number().int(),
    })
    .describe('known values held by fewer than personas.minSegmentSize customers, folded together (privacy)'),
});
export type PersonaDistribution = z.infer<typeof PersonaDistribution>;

export const ChannelPreference = z.object({
  channel: z.enum(PERSONA_CHANNELS),
  label: z.string(),
  rank: z.number().int().min(1),
  score: z.number().describe('0–1: reachable share × engagement, see README'),
  reachable_share: z.number(),
  engagement: z.number(),
  text: z.string(),
  evidence: z.array(Evidence),
});

export const Persona = z.object({
  language: PersonaLanguage,
  run_id: z.string(),
  as_of: z.string(),
  currency: MoneyCurrency,
  segment: z.object({
    id: z.string(),
    kind: SegmentKind,
    name: z.string(),
    size: z.number().int(),
    share: z.number(),
    revenue_share: z.number(),
  }),
  identity: z.object({
    name: z.string().describe('alliterative, deterministic from the archetype and the segment id'),
    archetype: z.object({ code: z.enum(ARCHETYPES), label: z.string() }),
    story: PersonaStatement,
  }),
  demographics: z.object({
    avg_age: z.number().nullable(),
    age_band: PersonaDistribution,
    gender: PersonaDistribution,
    income_band: PersonaDistribution,
    education: PersonaDistribution,
    marital_status: PersonaDistribution,
    occupation: PersonaDistribution,
  }),
  geography: z.object({ country: PersonaDistribution, region: PersonaDistribution }),
  psychographics: z.object({ interests: PersonaDistribution, lifestyle: PersonaDistribution }),
  behaviour: z.object({
    median_recency_days: z.number().nullable(),
    avg_recency_days: z.number().nullable(),
    avg_frequency: z.number().nullable(),
    avg_monetary: z.number().nullable(),
    avg_order_value: z.number().nullable(),
    buyers_share: z.number(),
    browsers_share: z.number(),
    conversion_rate: z.number().nullable(),
    cart_abandonment_rate: z.number().nullable(),
    return_rate: z.number().nullable(),
    occasions: z.object({
      christmas_share: z.number().nullable().describe('share of purchase orders placed 20 Nov – 24 Dec'),
      halloween_share: z.number().nullable().describe('share of purchase orders placed 15 – 31 Oct'),
    }),
    top_categories: PersonaDistribution,
    order_channels: PersonaDistribution,
  }),
  technographics: z.object({
    device: PersonaDistribution,
    os: PersonaDistribution,
    browser: PersonaDistribution,
    app_share: z.number().nullable(),
    mobile_share: z.number().nullable(),
    engagement_per_customer: z
      .object({
        email_opens: z.number().nullable(),
        email_clicks: z.number().nullable(),
        push_opens: z.number().nullable(),
        sms_clicks: z.number().nullable(),
        social_clicks: z.number().nullable(),
        app_opens: z.number().nullable(),
      })
      .describe('interactions per customer from events; null when no customer of the segment has events, so an absence does not read as zero'),
    innovation: z.object({
      type: z.enum(INNOVATION_TYPES).nullable(),
      label: z.string().nullable(),
      score: z.number().nullable().describe('mean standardized difference of the innovation signals from all customers'),
      text: z.string(),
      evidence: z.array(Evidence),
    }),
  }),
  preferred_channels: z.array(ChannelPreference),
  goals: z.array(PersonaStatement),
  pain_points: z.array(PersonaStatement),
  motivations: z.array(PersonaStatement),
  user_stories: z.array(PersonaStatement),
  next_actions: z.array(PersonaStatement),
  distinguishing_traits: z.array(
    PersonaStatement.extend({
      feature: z.string(),
      standardized_difference: z.number().describe('(segment − all customers) / per-customer standard deviation'),
    }),
  ),
  coverage: z.record(z.string(), z.number()).describe('share of the segment with a known value, per attribute'),
});
export type Persona = z.infer<typeof Persona>;

export const SuppressedPersona = z.object({
  segment_id: z.string(),
  segment_kind: SegmentKind,
  size: z.number().int(),
  reason: z.enum(['empty', 'below_min_segment_size']),
});
export type SuppressedPersona = z.infer<typeof SuppressedPersona>;

export const PersonasDocument = z.object({
  provenance: Provenance,
  language: PersonaLanguage.describe('language of the personas below: the first of personas.languages'),
  languages: z.array(PersonaLanguage).describe('languages written as runs/<run_id>/personas/<segment>.<lang>.json and .md'),
  min_segment_size: z.number().int(),
  personas: z.array(Persona),
  suppressed: z.array(SuppressedPersona).describe('segments without a persona: smaller than personas.minSegmentSize'),
});
export type PersonasDocument = z.infer<typeof PersonasDocument>;

/**
 * How customers moved between the segments of one kind since the previous complete run: one row per
 * (from, to) pair with customers in it. `from` is null for customers new since then; customers who are gone appear
 * with `to` null.
 */
export const MigrationFlow = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  customers: z.number().int(),
});
export type MigrationFlow = z.infer<typeof MigrationFlow>;

export const MigrationDocument = z.object({
  provenance: Provenance,
  previous_run_id: z.string().nullable().describe('the complete run compared against; null on the first run'),
  previous_as_of: z.string().nullable(),
  kinds: z.object({ rfm: z.array(MigrationFlow), lifecycle: z.array(MigrationFlow) }),
  /** Per kind: customers whose segment changed (new and departed customers not counted). */
  moved: z.object({ rfm: z.number().int(), lifecycle: z.number().int() }),
  new_customers: z.number().int(),
  departed_customers: z.number().int(),
});
export type MigrationDocument = z.infer<typeof MigrationDocument>;

/** The trend the dashboard draws: this run and the complete runs before it, oldest first, at most `max_runs`. */
export const HistoryDocument = z.object({
  provenance: Provenance,
  max_runs: z.number().int(),
  runs: z.array(
    z.object({
      run_id: z.string(),
      as_of: z.string(),
      customers: z.number().int(),
      revenue: z.number(),
      segments: z.array(z.object({ id: z.string(), kind: SegmentKind, name: z.string(), size: z.number().int(), revenue_share: z.number() })),
    }),
  ),
});
export type HistoryDocument = z.infer<typeof HistoryDocument>;

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

const FreshnessStatus = z.enum(['fresh', 'stale_warning', 'stale']);

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
  freshness: z.object({
    newest_data: z.string().nullable(),
    age_days: z.number().nullable(),
    status: FreshnessStatus,
    tables: z
      .partialRecord(z.enum(['orders', 'events']), z.object({ newest_data: z.string(), age_days: z.number(), status: FreshnessStatus }))
      .default({})
      .describe('each dated table on its own (with the state’s rows in an incremental run): one feed that stopped while the other runs on is caught too'),
  }),
  rfm: z.object({ status: z.enum(['ok', 'insufficient_data']), bins: z.number().int(), buyers: z.number().int() }),
  swings: z
    .array(z.object({ segment_id: z.string(), kind: SegmentKind, previous: z.number().int(), current: z.number().int(), change: z.number() }))
    .default([])
    .describe('RFM, lifecycle and rule segments whose size changed by more than quality.maxSegmentSwing since the previous complete run (published, with a warning)'),
  broad_segments: z
    .array(z.object({ segment_id: z.string(), kind: SegmentKind, size: z.number().int(), share: z.number() }))
    .default([])
    .describe('rule and discovered segments holding more than quality.maxSegmentShare of all customers: too broad to single out a target group (published, with a warning)'),
  queries: z.array(z.object({ step: z.string(), wall_ms: z.number(), engine_ms: z.number(), bytes_scanned: z.number().optional(), query_id: z.string().optional() })),
  refresh: z
    .object({
      mode: z.enum(['full', 'incremental']),
      reason: z.string(),
      partitions_after: z.string().nullable().describe('an incremental run read only the day partitions after this date'),
      previous_state_run: z.string().nullable(),
      previous_state_grains: z
        .array(z.enum(STATE_GRAINS))
        .nullable()
        .optional()
        .describe('the grains of the previous state an incremental run merged; profiles are re-read whole when customers/ is an unpartitioned snapshot'),
    })
    .optional()
    .describe('whether the run recomputed the feature state from every partition or updated the previous run’s state'),
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
  persona: Persona,
  migration: MigrationDocument,
  history: HistoryDocument,
  quality: QualityDocument,
  manifest: ManifestDocument,
  latest: LatestPointer,
} as const;
