import type { TableName } from '../contracts/lake.ts';
import type { Relations } from './relations.ts';
import { membershipsSql } from './segments.ts';
import { rowValuesSql } from './staging.ts';

/**
 * Segment-level aggregates: small results (one row per segment, or per segment and value) that the pipeline
 * reads back to build segments.json and personas.json. Each is one scan of the membership join.
 */

const membersJoin = (rel: Relations) =>
  `${rel.segment_members} AS m JOIN ${rel.customer_segments} AS s ON s.customer_id = m.customer_id`;

export function segmentSummarySql(rel: Relations): string {
  return `SELECT m.kind, m.segment_id,
  count(*) AS customers,
  sum(s.monetary) AS revenue,
  sum(s.purchase_revenue) AS purchase_revenue,
  sum(s.frequency) AS purchase_orders,
  sum(s.returned_amount) AS returned_amount,
  count_if(s.frequency > 0) AS buyers,
  count_if(s.frequency = 0 AND s.events_count > 0) AS browsers,
  count_if(s.events_count > 0) AS with_events,
  count_if(s.has_profile) AS with_profile,
  avg(CAST(s.frequency AS double)) AS avg_frequency,
  avg(CAST(s.recency_days AS double)) AS avg_recency_days,
  avg(s.monetary) AS avg_monetary,
  sum(s.product_views) AS product_views,
  sum(s.add_to_cart) AS add_to_cart,
  sum(s.checkout_starts) AS checkout_starts,
  sum(s.purchase_events) AS purchase_events,
  sum(s.email_opens) AS email_opens,
  sum(s.email_clicks) AS email_clicks,
  sum(s.push_opens) AS push_opens,
  sum(s.sms_clicks) AS sms_clicks,
  sum(s.social_clicks) AS social_clicks,
  sum(s.app_opens) AS app_opens,
  sum(s.events_count) AS events,
  avg(s.mobile_share) AS avg_mobile_share,
  avg(s.app_share) AS avg_app_share,
  count_if(s.email_opt_in) AS email_opt_in,
  count_if(s.sms_opt_in) AS sms_opt_in,
  count_if(s.push_opt_in) AS push_opt_in,
  count_if(s.age IS NOT NULL) AS with_age,
  avg(CAST(s.age AS double)) AS avg_age,
  sum(s.christmas_orders) AS christmas_orders,
  sum(s.halloween_orders) AS halloween_orders,
  count_if(cardinality(s.interests) > 0) AS with_interests,
  count_if(cardinality(s.lifestyle) > 0) AS with_lifestyle,
  stddev_pop(CAST(s.frequency AS double)) AS sd_frequency,
  stddev_pop(CAST(s.recency_days AS double)) AS sd_recency_days,
  stddev_pop(CAST(s.monetary AS double)) AS sd_monetary,
  stddev_pop(s.mobile_share) AS sd_mobile_share,
  stddev_pop(s.app_share) AS sd_app_share,
  stddev_pop(CAST(s.social_clicks AS double)) AS sd_social_clicks
FROM ${membersJoin(rel)}
GROUP BY m.kind, m.segment_id`;
}

/**
 * Customers who belong to exactly the same segments share a membership signature. Counting per signature first
 * and fanning the counts out to the signature's segments afterwards gives the same per-segment counts as counting
 * over the membership join, with the heavy grouping over one row per customer instead of one per membership
 * (about six per customer). Only counts and sums of counts are fanned out, so the result is exact.
 */
const SIGNATURE = ['rfm_segment', 'lifecycle_stage', 'discovered_segment', 'segments'] as const;

/**
 * `counted` (signature columns, further columns and a `customers` count) summed per segment and further columns.
 * DuckDB computes the CTE once; Trino inlines it into each of the five segment kinds, so on Athena its scans of
 * customer_segments (one row per customer, only the columns used) repeat five times. Those bytes are small next to
 * the lake's, and Athena bills bytes, not the grouping work saved.
 */
function fannedOutSql(counted: string, columns: readonly string[]): string {
  const keys = columns.join(', ');
  return `WITH counted AS (
${counted}
)
SELECT kind, segment_id, ${keys}, CAST(sum(customers) AS bigint) AS customers
FROM (
${membershipsSql('counted', [...columns, 'customers'])}
) AS fanned
GROUP BY kind, segment_id, ${keys}`;
}

/**
 * Exact (lower) median of recency among a segment's buyers: the smallest recency at which the running count of
 * the segment's customers, in recency order, reaches half of them. Written without division, because the engines
 * disagree on integer division and neither has an exact, deterministic median aggregate that the other shares.
 */
export function medianRecencySql(rel: Relations): string {
  const counted = `SELECT ${SIGNATURE.join(', ')}, recency_days, count(*) AS customers
FROM ${rel.customer_segments}
WHERE recency_days IS NOT NULL
GROUP BY ${SIGNATURE.join(', ')}, recency_days`;
  return `SELECT kind, segment_id, min(recency_days) AS median_recency_days FROM (
  SELECT kind, segment_id, recency_days,
    sum(customers) OVER (PARTITION BY kind, segment_id ORDER BY recency_days ASC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
    sum(customers) OVER (PARTITION BY kind, segment_id) AS n
  FROM (
${fannedOutSql(counted, ['recency_days'])}
  ) AS per_value
) AS ranked
WHERE 2 * running >= n
GROUP BY kind, segment_id`;
}

/** Scalar dimensions summarised per segment, with the feature column each reads. */
export const DISTRIBUTION_DIMENSIONS = [
  'top_category',
  'top_order_channel',
  'top_device',
  'top_os',
  'top_browser',
  'age_band',
  'gender',
  'income_band',
  'education',
  'marital_status',
  'occupation',
  'country',
  'region',
  'lifecycle_stage',
  'rfm_segment',
] as const;
export const LIST_DIMENSIONS = ['interests', 'lifestyle', 'categories'] as const;
export type DistributionDimension = (typeof DISTRIBUTION_DIMENSIONS)[number] | (typeof LIST_DIMENSIONS)[number];

/**
 * Value counts per segment and dimension in one scan (GROUPING SETS), plus list dimensions unnested.
 * NULL values are kept (as NULL) so coverage can be reported next to the distribution.
 */
export function distributionsSql(rel: Relations): string {
  const signature = SIGNATURE.join(', ');
  // A dimension that is part of the signature (the RFM segment, the lifecycle stage) is known per signature: its
  // counts are the signature's own, which one grouping set gives for all of them.
  const inSignature = DISTRIBUTION_DIMENSIONS.filter((d) => (SIGNATURE as readonly string[]).includes(d));
  const grouped = DISTRIBUTION_DIMENSIONS.filter((d) => !inSignature.includes(d));
  const sets = [...grouped.map((d) => `(${signature}, ${d})`), `(${signature})`].join(',\n    ');
  const scalars = `SELECT ${SIGNATURE.map((c) => `g.${c}`).join(', ')}, d.dimension,
  CASE d.dimension ${inSignature.map((c) => `WHEN '${c}' THEN g.${c}`).join(' ')} ELSE g.value END AS value,
  g.customers
FROM (
  SELECT ${signature},
    CASE ${grouped.map((d) => `WHEN grouping(${d}) = 0 THEN '${d}'`).join(' ')} END AS dimension,
    CASE ${grouped.map((d) => `WHEN grouping(${d}) = 0 THEN ${d}`).join(' ')} END AS value,
    count(*) AS customers
  FROM ${rel.customer_segments}
  GROUP BY GROUPING SETS (
    ${sets}
  )
) AS g
CROSS JOIN UNNEST(CASE WHEN g.dimension IS NULL THEN ARRAY[${inSignature.map((c) => `'${c}'`).join(', ')}] ELSE ARRAY[g.dimension] END) AS d (dimension)`;
  const lists = LIST_DIMENSIONS.map(
    (d) => `SELECT ${SIGNATURE.map((c) => `s.${c}`).join(', ')}, '${d}' AS dimension, t.value AS value, count(*) AS customers
FROM ${rel.customer_segments} AS s CROSS JOIN UNNEST(s.${d}) AS t (value)
GROUP BY ${SIGNATURE.map((c) => `s.${c}`).join(', ')}, t.value`,
  );
  return fannedOutSql([scalars, ...lists].join('\nUNION ALL\n'), ['dimension', 'value']);
}

/**
 * Per-table row accounting: rows accepted, left for a later run (dated after the as-of date) and quarantined per
 * reason, with the accepted rows' time range. Orders and events are staged as aggregates (the primary
 * grain's groups, rejected rows among them under their own key); customers row by row.
 */
export function tableQualitySql(rel: Relations, table: TableName): string {
  if (table === 'customers') {
    return `SELECT CASE WHEN reject_reason IS NULL THEN 'accepted' ELSE 'rejected' END AS status, reject_reason,
  count(*) AS rows_count, CAST(NULL AS timestamp) AS min_ts, CAST(NULL AS timestamp) AS max_ts
FROM ${rel.stg_customers}
GROUP BY 1, 2`;
  }
  const stg = rel[`stg_${table}`];
  const primary = table === 'orders' ? 'order' : 'customer';
  // Primary-grain groups with a customer hold the accepted rows up to the as-of date, its group without one the
  // accepted rows after it; rejected rows are counted in their own groups.
  return `SELECT CASE WHEN customer_id IS NOT NULL THEN 'accepted' ELSE 'after_as_of' END AS status, NULL AS reject_reason,
  sum(rows_count) AS rows_count,
  min(min_ts) AS min_ts, max(max_ts) AS max_ts
FROM ${stg}
WHERE grain = '${primary}'
GROUP BY 1
UNION ALL
SELECT 'rejected', reject_reason, sum(rows_count), NULL, NULL
FROM ${stg}
WHERE grain = 'reject' AND reject_reason IS NOT NULL
GROUP BY reject_reason`;
}

const RAW_VALUES = {
  customers: ['customer_id', 'birth_year_text', 'gender', 'income_band', 'education', 'marital_status', 'signup_date_text', 'updated_at_text'],
};

/** A few quarantined rows per reason, so an error message can name the file and the offending value. */
export function rejectExamplesSql(rel: Relations, table: TableName, perReason: number): string {
  const rejected =
    table === 'customers'
      ? `SELECT reject_reason, source_file, ${rowValuesSql(RAW_VALUES.customers)} AS row_values FROM ${rel.stg_customers} WHERE reject_reason IS NOT NULL`
      : `SELECT reject_reason, source_file, row_values FROM ${rel[`stg_${table}`]} WHERE grain = 'reject' AND reject_reason IS NOT NULL`;
  return `SELECT reject_reason, source_file, row_values FROM (
  SELECT reject_reason, source_file, row_values,
    row_number() OVER (PARTITION BY reject_reason ORDER BY source_file ASC, row_values ASC) AS rn
  FROM (${rejected}) AS r
) AS ranked
WHERE rn <= ${Math.trunc(perReason)}
ORDER BY reject_reason ASC, rn ASC`;
}

/** Every quarantined row (identical bad rows once, with their count), with reason, file and raw values. */
export function quarantineSql(rel: Relations, table: TableName): string {
  if (table === 'customers') {
    return `SELECT reject_reason, source_file, ${rowValuesSql(RAW_VALUES.customers)} AS row_values, 1 AS rows_count
FROM ${rel.stg_customers} WHERE reject_reason IS NOT NULL ORDER BY source_file ASC, reject_reason ASC, customer_id ASC`;
  }
  return `SELECT reject_reason, source_file, row_values, rows_count
FROM ${rel[`stg_${table}`]}
WHERE grain = 'reject' AND reject_reason IS NOT NULL
ORDER BY source_file ASC, reject_reason ASC, row_values ASC`;
}
