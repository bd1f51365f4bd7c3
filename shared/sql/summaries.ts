import type { TableName } from '../contracts/lake.ts';
import type { Relations } from './relations.ts';
import { membershipsSql } from './segments.ts';
import { rowValuesSql } from './staging.ts';

/**
 * Segment-level aggregates: small results (one row per segment, or per segment and value) that the pipeline
 * reads back to build segments.json and personas.json. Each is one scan of customer_segments.
 */

/**
 * Customers who belong to exactly the same segments share a membership signature. Counting per signature first
 * and fanning the counts out to the signature's segments afterwards gives the same per-segment counts as counting
 * over the membership join, with the heavy grouping over one row per customer instead of one per membership
 * (about six per customer). Counts and sums add up exactly across signatures; averages and deviations are
 * rebuilt from fanned-out counts, sums and sums of squares (segmentSummarySql).
 */
const SIGNATURE = ['rfm_segment', 'lifecycle_stage', 'discovered_segment', 'segments'] as const;

/**
 * `counted` (signature columns, key columns and the `carried` per-signature columns) fanned out to each signature's
 * segments and aggregated per segment and key; by default the `customers` count is summed. DuckDB computes the CTE
 * once; Trino inlines it into each of the five segment kinds, so on Athena its scans of
 * customer_segments (one row per customer, only the columns used) repeat five times. Those bytes are small next to
 * the lake's, and Athena bills bytes, not the grouping work saved.
 */
function fannedOutSql(
  counted: string,
  keys: readonly string[],
  carried: readonly string[] = ['customers'],
  aggregates: readonly string[] = ['CAST(sum(customers) AS bigint) AS customers'],
): string {
  const groupBy = ['kind', 'segment_id', ...keys].join(', ');
  return `WITH counted AS (
${counted}
)
SELECT ${groupBy},
  ${aggregates.join(',\n  ')}
FROM (
${membershipsSql('counted', [...keys, ...carried])}
) AS fanned
GROUP BY ${groupBy}`;
}

/** Per-segment sums and counts: the column each sums, or the condition each counts. */
const SUMMARY_SUMS: Readonly<Record<string, string>> = {
  revenue: 'sum(monetary)',
  purchase_revenue: 'sum(purchase_revenue)',
  purchase_orders: 'sum(frequency)',
  returned_amount: 'sum(returned_amount)',
  buyers: 'count_if(frequency > 0)',
  browsers: 'count_if(frequency = 0 AND events_count > 0)',
  with_events: 'count_if(events_count > 0)',
  with_profile: 'count_if(has_profile)',
  product_views: 'sum(product_views)',
  add_to_cart: 'sum(add_to_cart)',
  checkout_starts: 'sum(checkout_starts)',
  purchase_events: 'sum(purchase_events)',
  email_opens: 'sum(email_opens)',
  email_clicks: 'sum(email_clicks)',
  push_opens: 'sum(push_opens)',
  sms_clicks: 'sum(sms_clicks)',
  social_clicks: 'sum(social_clicks)',
  app_opens: 'sum(app_opens)',
  events: 'sum(events_count)',
  email_opt_in: 'count_if(email_opt_in)',
  sms_opt_in: 'count_if(sms_opt_in)',
  push_opt_in: 'count_if(push_opt_in)',
  christmas_orders: 'sum(christmas_orders)',
  halloween_orders: 'sum(halloween_orders)',
  with_interests: 'count_if(cardinality(interests) > 0)',
  with_lifestyle: 'count_if(cardinality(lifestyle) > 0)',
};
/** Columns averaged per segment (`avg_<name>`, over non-NULL values) and those with a population standard deviation (`sd_<name>`). */
const SUMMARY_MOMENTS: Readonly<Record<string, { value: string; avg: boolean; sd: boolean }>> = {
  frequency: { value: 'CAST(frequency AS double)', avg: true, sd: true },
  recency_days: { value: 'CAST(recency_days AS double)', avg: true, sd: true },
  monetary: { value: 'CAST(monetary AS double)', avg: true, sd: true },
  mobile_share: { value: 'mobile_share', avg: true, sd: true },
  app_share: { value: 'app_share', avg: true, sd: true },
  age: { value: 'CAST(age AS double)', avg: true, sd: false },
  social_clicks: { value: 'CAST(social_clicks AS double)', avg: false, sd: true },
};

/**
 * One row per segment: size, revenue, buyers and browsers, engagement sums, opt-ins, averages and standard
 * deviations. Counted per membership signature and fanned out, like the distributions: sums and counts add up
 * exactly, and the averages and deviations come from each signature's count, sum and sum of squares of the
 * non-NULL values. It replaced a join of a one-row-per-membership table with the customers, several times slower
 * (README, Performance); test/adapters/segment-fanout.test.ts checks it against that join.
 */
export function segmentSummarySql(rel: Relations): string {
  const moments = Object.entries(SUMMARY_MOMENTS);
  const perSignature: [string, string][] = [
    ['customers', 'count(*)'],
    ...Object.entries(SUMMARY_SUMS),
    // Sums of squares only where a deviation needs them.
    ...moments.flatMap(([name, m]): [string, string][] => [
      [`n_${name}`, `count(${m.value})`],
      [`s_${name}`, `sum(${m.value})`],
      ...(m.sd ? [[`q_${name}`, `sum(${m.value} * ${m.value})`] as [string, string]] : []),
    ]),
  ];
  // Written out rather than avg() and stddev_pop(): the per-signature moments are what is fanned out. A guard,
  // not nullif: a segment with no values of a column gets NULL in both engines, never a division by zero.
  const mean = (name: string) => `CAST(sum(s_${name}) AS double) / sum(n_${name})`;
  const whenAny = (name: string, expr: string) => `CASE WHEN sum(n_${name}) > 0 THEN ${expr} END`;
  const perSegment = [
    'CAST(sum(customers) AS bigint) AS customers',
    ...Object.keys(SUMMARY_SUMS).map((name) => `sum(${name}) AS ${name}`),
    // The customers with an age are the count the age's moments already carry.
    'sum(n_age) AS with_age',
    ...moments.filter(([, m]) => m.avg).map(([name]) => `${whenAny(name, mean(name))} AS avg_${name}`),
    // greatest(0, …): rounding can leave E[x²] − E[x]² a hair below zero for a constant column.
    ...moments.filter(([, m]) => m.sd).map(([name]) => `${whenAny(name, `sqrt(greatest(0, CAST(sum(q_${name}) AS double) / sum(n_${name}) - ${mean(name)} * ${mean(name)}))`)} AS sd_${name}`),
  ];
  const counted = `SELECT ${SIGNATURE.join(', ')},
  ${perSignature.map(([name, expr]) => `${expr} AS ${name}`).join(',\n  ')}
FROM ${rel.customer_segments}
GROUP BY ${SIGNATURE.join(', ')}`;
  return fannedOutSql(counted, [], perSignature.map(([name]) => name), perSegment);
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
  customers: [
    'customer_id', 'birth_year_text', 'gender', 'income_band', 'education', 'marital_status', 'occupation', 'country', 'region', 'city',
    'email_opt_in_text', 'sms_opt_in_text', 'push_opt_in_text', 'signup_date_text', 'updated_at_text',
  ],
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
