import type { SegmentsConfig } from '../contracts/config.ts';
import { lifecycleStageSql } from '../segments/lifecycle.ts';
import { rfmSegmentSql } from '../segments/rfm-grid.ts';
import { ruleSegmentsArraySql } from '../segments/rule-compiler.ts';
import { discoveryAssignmentSql, type DiscoveryModel } from './discovery.ts';
import { experimentBucketSql } from './experiments.ts';
import { sqlDate, sqlInteger, sqlString } from './literals.ts';
import type { Relations } from './relations.ts';

/**
 * Score from rank: with n buyers and `bins` bins, a customer whose value has rank k (1 = worst, ties share the
 * lowest rank, as rank() gives them) falls in bin floor(bins·(k−1)/n). Equal values have equal ranks, so they
 * always get equal scores, whatever the row order. The ratio is computed in double after an explicit cast, and
 * since bins·(k−1)/n is a ratio of small integers its floor is exact.
 * With fewer than five bins (too few buyers) the bins are spread over 1–5 so the grid still applies.
 */
export function scoreFromRankSql(rank: string, n: string, bins: number): string {
  const bin = `floor(${sqlInteger(bins)} * CAST(${rank} - 1 AS double) / ${n})`;
  if (bins === 5) return `CAST(1 + ${bin} AS integer)`;
  if (bins === 1) return '3';
  return `CAST(1 + round(${bin} * 4.0 / ${sqlInteger(bins - 1)}) AS integer)`;
}

/**
 * With a discovery model, `discovered_segment` is the id of the customer's nearest discovered centre
 * (sql/discovery.ts); without one it is NULL, so the relation's columns do not depend on it.
 */
export function customerSegmentsSql(rel: Relations, config: SegmentsConfig, asOf: string, bins: number, discovered?: DiscoveryModel): string {
  return `WITH ${discovered ? `discovered AS (
${discoveryAssignmentSql(rel.customer_features, discovered)}
), ` : ''}buyers AS (
  SELECT customer_id,
    rank() OVER (ORDER BY recency_days DESC) AS r_rank,
    rank() OVER (ORDER BY frequency ASC) AS f_rank,
    rank() OVER (ORDER BY monetary ASC) AS m_rank,
    count(*) OVER () AS n
  FROM ${rel.customer_features}
  WHERE frequency > 0
), scored AS (
  SELECT f.*,
    ${scoreFromRankSql('b.r_rank', 'b.n', bins)} AS r_score,
    ${scoreFromRankSql('b.f_rank', 'b.n', bins)} AS f_score,
    ${scoreFromRankSql('b.m_rank', 'b.n', bins)} AS m_score
  FROM ${rel.customer_features} AS f
  LEFT JOIN buyers AS b ON b.customer_id = f.customer_id
), named AS (
  SELECT scored.*,
    ${rfmSegmentSql('r_score', 'f_score', 'm_score', 'frequency')} AS rfm_segment,
    ${lifecycleStageSql(config.lifecycle, { frequency: 'frequency', recencyDays: 'recency_days', daysSinceFirstPurchase: 'days_since_first_purchase' })} AS lifecycle_stage
  FROM scored
)
SELECT named.*, ${ruleSegmentsArraySql(config.segments, asOf)} AS segments,
  ${discovered ? 'dsc.discovered_segment' : 'CAST(NULL AS varchar)'} AS discovered_segment,
  ${experimentBucketSql('named.customer_id', config.experiments.salt)} AS experiment_bucket
FROM named${discovered ? '\nLEFT JOIN discovered AS dsc ON dsc.customer_id = named.customer_id' : ''}`;
}

export function buyerCountSql(rel: Relations): string {
  return `SELECT count(*) AS buyers FROM ${rel.customer_features} WHERE frequency > 0`;
}

/**
 * The analysts' table: the columns of OUTPUT_TABLES.customer_segments, in its order and with its types spelled
 * out, so the Parquet that Athena's UNLOAD writes matches the Glue table whatever type the engine inferred.
 */
export function customerSegmentsOutputSql(rel: Relations, provenance: { runId: string; asOf: string; configHash: string }): string {
  return `SELECT customer_id, CAST(recency_days AS integer) AS recency_days, CAST(frequency AS integer) AS frequency,
  CAST(monetary AS double) AS monetary, r_score, f_score, m_score,
  rfm_segment, lifecycle_stage, segments, CAST(discovered_segment AS varchar) AS discovered_segment,
  CAST(experiment_bucket AS integer) AS experiment_bucket,
  ${sqlDate(provenance.asOf)} AS as_of_date, ${sqlString(provenance.runId)} AS run_id, ${sqlString(provenance.configHash)} AS config_hash
FROM ${rel.customer_segments}
ORDER BY customer_id ASC`;
}

/**
 * Every segment a row of `source` belongs to, as (kind, segment_id) with the `carried` columns: RFM and lifecycle
 * give one each, rule segments any number, discovered segments one when discovery ran. `source` needs the columns
 * rfm_segment, lifecycle_stage, segments and discovered_segment.
 */
export function membershipsSql(source: string, carried: readonly string[]): string {
  const c = carried.map((column) => `, s.${column}`).join('');
  return `SELECT 'all' AS kind, 'all_customers' AS segment_id${c} FROM ${source} AS s
UNION ALL SELECT 'rfm', s.rfm_segment${c} FROM ${source} AS s
UNION ALL SELECT 'lifecycle', s.lifecycle_stage${c} FROM ${source} AS s
UNION ALL SELECT 'rule', t.segment_id${c} FROM ${source} AS s CROSS JOIN UNNEST(s.segments) AS t (segment_id)
UNION ALL SELECT 'discovered', s.discovered_segment${c} FROM ${source} AS s WHERE s.discovered_segment IS NOT NULL`;
}

export function coverageSql(rel: Relations): string {
  return `SELECT
  (SELECT count(*) FROM ${rel.customer_features}) AS known_customers,
  count(*) AS rows_out,
  count(DISTINCT customer_id) AS distinct_customers,
  count_if(rfm_segment IS NOT NULL) AS with_rfm_segment,
  count_if(lifecycle_stage IS NOT NULL) AS with_lifecycle_stage
FROM ${rel.customer_segments}`;
}

/** The published quintile cut points: the value range each score covers. */
export function cutPointsSql(rel: Relations): string {
  const part = (metric: string, score: string, value: string) =>
    `SELECT '${metric}' AS metric, ${score} AS score, min(${value}) AS min_value, max(${value}) AS max_value, count(*) AS customers
FROM ${rel.customer_segments} WHERE ${score} IS NOT NULL GROUP BY ${score}`;
  return [
    part('recency_days', 'r_score', 'CAST(recency_days AS double)'),
    part('frequency', 'f_score', 'CAST(frequency AS double)'),
    part('monetary', 'm_score', 'monetary'),
  ].join('\nUNION ALL\n').concat('\nORDER BY metric ASC, score ASC');
}
