import type { MigrationDocument, Persona, PersonasDocument, SegmentsDocument, ValueCount } from './outputs.ts';

/**
 * The outputs as tables for BI tools. Each run writes them under `runs/<run_id>/` + outputTableFolder(table); the CDK stack declares
 * one Glue table per entry with these columns and a `run` partition projected onto the run folders, so Athena,
 * QuickSight or Tableau read them without crawlers. The column lists here are the only definition: the writer
 * below and the Glue tables are both derived from them.
 */
export type OutputFormat = 'parquet' | 'jsonl';

export interface OutputTable {
  readonly name: string;
  readonly format: OutputFormat;
  readonly description: string;
  readonly columns: readonly { readonly name: string; readonly type: string; readonly comment?: string }[];
}

const VALUE_COUNTS = 'array<struct<value:string,customers:bigint,share:double>>';

/** Partition key of every output table: the run id, taken from the folder name. */
export const RUN_PARTITION_KEY = 'run';

export const OUTPUT_TABLES = {
  customer_segments: {
    name: 'customer_segments',
    format: 'parquet',
    description: 'One row per customer and run: RFM figures and scores, RFM segment, lifecycle stage, rule segments, discovered segment, experiment bucket',
    columns: [
      { name: 'customer_id', type: 'string' },
      { name: 'recency_days', type: 'int', comment: 'days from the last purchase order to the as-of date; null without one' },
      { name: 'frequency', type: 'int', comment: 'purchase orders' },
      { name: 'monetary', type: 'double', comment: 'net amount, returns subtracted, in the reporting currency (segment_summary.currency)' },
      { name: 'r_score', type: 'int' },
      { name: 'f_score', type: 'int' },
      { name: 'm_score', type: 'int' },
      { name: 'rfm_segment', type: 'string' },
      { name: 'lifecycle_stage', type: 'string' },
      { name: 'segments', type: 'array<string>', comment: 'ids of the rule segments the customer belongs to' },
      { name: 'discovered_segment', type: 'string', comment: 'discovered persona segment (nearest k-means centre), e.g. discovered_1; null when discovery was skipped' },
      { name: 'experiment_bucket', type: 'int', comment: 'stable experiment bucket 0–99: md5(salt || customer_id) mod 100, salt from the config (experiments.salt)' },
      { name: 'as_of_date', type: 'date' },
      { name: 'run_id', type: 'string' },
      { name: 'config_hash', type: 'string' },
    ],
  },
  segment_summary: {
    name: 'segment_summary',
    format: 'jsonl',
    description: 'One row per segment and run: size, revenue and the KPIs of segments.json',
    columns: [
      { name: 'run_id', type: 'string' },
      { name: 'as_of_date', type: 'date' },
      { name: 'config_hash', type: 'string' },
      { name: 'segment_id', type: 'string' },
      { name: 'segment_name', type: 'string' },
      { name: 'kind', type: 'string' },
      { name: 'size', type: 'bigint' },
      { name: 'share', type: 'double' },
      { name: 'revenue', type: 'double' },
      { name: 'currency', type: 'string', comment: 'ISO 4217 code of revenue and avg_order_value (the reporting currency); null when amounts are summed unconverted' },
      { name: 'revenue_share', type: 'double' },
      { name: 'purchase_orders', type: 'bigint' },
      { name: 'avg_order_value', type: 'double' },
      { name: 'avg_frequency', type: 'double' },
      { name: 'median_recency_days', type: 'double' },
      { name: 'buyers_share', type: 'double' },
      { name: 'browsers_share', type: 'double' },
      { name: 'conversion_rate', type: 'double' },
      { name: 'cart_abandonment_rate', type: 'double' },
      { name: 'return_rate', type: 'double' },
      { name: 'email_opt_in_share', type: 'double' },
      { name: 'mobile_share', type: 'double' },
      { name: 'top_categories', type: VALUE_COUNTS },
      { name: 'top_channels', type: VALUE_COUNTS },
      { name: 'top_devices', type: VALUE_COUNTS },
    ],
  },
  personas: {
    name: 'personas',
    format: 'jsonl',
    description: 'One row per persona and run; the full persona as JSON text in `persona`',
    columns: [
      { name: 'run_id', type: 'string' },
      { name: 'as_of_date', type: 'date' },
      { name: 'segment_id', type: 'string' },
      { name: 'segment_kind', type: 'string' },
      { name: 'segment_name', type: 'string' },
      { name: 'name', type: 'string' },
      { name: 'description', type: 'string' },
      { name: 'size', type: 'bigint' },
      { name: 'share', type: 'double' },
      // The persona's shape grows release by release; as JSON text the table never needs a schema change for it.
      { name: 'persona', type: 'string', comment: 'the persona object of personas.json, as JSON (query with json_extract)' },
    ],
  },
  segment_migration: {
    name: 'segment_migration',
    format: 'jsonl',
    description: 'One row per run, kind (rfm, lifecycle) and (from, to) segment pair: customers who moved since the previous complete run (migration.json)',
    columns: [
      { name: 'run_id', type: 'string' },
      { name: 'previous_run_id', type: 'string', comment: 'the complete run compared against; null on the first run' },
      { name: 'as_of_date', type: 'date' },
      { name: 'previous_as_of_date', type: 'date' },
      { name: 'kind', type: 'string', comment: 'rfm or lifecycle' },
      { name: 'from_segment', type: 'string', comment: 'segment in the previous run; null for customers new since then' },
      { name: 'to_segment', type: 'string', comment: 'segment in this run; null for customers no longer present' },
      { name: 'customers', type: 'bigint' },
    ],
  },
} as const satisfies Record<string, OutputTable>;

export type OutputTableName = keyof typeof OUTPUT_TABLES;

const valueCounts = (values: readonly ValueCount[]) => values.map((v) => ({ value: v.value, customers: v.customers, share: v.share }));

export function segmentSummaryRows(doc: SegmentsDocument): Record<string, unknown>[] {
  return doc.segments.map((s) => ({
    run_id: doc.provenance.run_id,
    as_of_date: doc.provenance.as_of,
    config_hash: doc.provenance.config_hash,
    segment_id: s.id,
    segment_name: s.name,
    kind: s.kind,
    size: s.size,
    share: s.share,
    revenue: s.revenue,
    currency: doc.currency,
    revenue_share: s.revenue_share,
    purchase_orders: s.purchase_orders,
    avg_order_value: s.avg_order_value,
    avg_frequency: s.avg_frequency,
    median_recency_days: s.median_recency_days,
    buyers_share: s.buyers_share,
    browsers_share: s.browsers_share,
    conversion_rate: s.conversion_rate,
    cart_abandonment_rate: s.cart_abandonment_rate,
    return_rate: s.return_rate,
    email_opt_in_share: s.email_opt_in_share,
    mobile_share: s.mobile_share,
    top_categories: valueCounts(s.top_categories),
    top_channels: valueCounts(s.top_channels),
    top_devices: valueCounts(s.top_devices),
  }));
}

export function personaRows(doc: PersonasDocument): Record<string, unknown>[] {
  return doc.personas.map((p: Persona) => ({
    run_id: doc.provenance.run_id,
    as_of_date: doc.provenance.as_of,
    segment_id: p.segment.id,
    segment_kind: p.segment.kind,
    segment_name: p.segment.name,
    name: p.identity.name,
    description: p.identity.story.text,
    size: p.segment.size,
    share: p.segment.share,
    persona: JSON.stringify(p),
  }));
}

export function migrationRows(doc: MigrationDocument): Record<string, unknown>[] {
  return (['rfm', 'lifecycle'] as const).flatMap((kind) =>
    doc.kinds[kind].map((flow) => ({
      run_id: doc.provenance.run_id,
      previous_run_id: doc.previous_run_id,
      as_of_date: doc.provenance.as_of,
      previous_as_of_date: doc.previous_as_of,
      kind,
      from_segment: flow.from,
      to_segment: flow.to,
      customers: flow.customers,
    })),
  );
}

/**
 * Folder of an output table inside `runs/<run_id>/`: the JSON Lines tables live under `tables/`, apart from the
 * run's JSON documents (e.g. `personas/` holds one file per persona and language, which a Glue table must not read).
 */
export function outputTableFolder(table: Pick<OutputTable, 'name' | 'format'>): string {
  return table.format === 'jsonl' ? `tables/${table.name}/` : `${table.name}/`;
}

/** JSON Lines as the OpenX SerDe reads them: one object per line, keys in column order. */
export function toJsonLines(table: OutputTable, rows: readonly Record<string, unknown>[]): string {
  const names = table.columns.map((c) => c.name);
  return rows.map((row) => JSON.stringify(Object.fromEntries(names.map((n) => [n, row[n] ?? null])))).join('\n').concat(rows.length > 0 ? '\n' : '');
}
