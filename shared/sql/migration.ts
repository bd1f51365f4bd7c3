import type { Relations } from './relations.ts';

/**
 * Customers moving between segments since the previous complete run: this run's customer_segments FULL OUTER JOIN
 * the previous run's (relation `previous_segments`) on customer_id, counted per (kind, from, to). A customer new
 * since then has from NULL; one who is gone has to NULL (a segment itself is never NULL: the coverage gate).
 * With an empty previous_segments (first run) every flow has from NULL.
 */
export function migrationSql(rel: Relations): string {
  return `WITH pairs AS (
  SELECT p.rfm_segment AS from_rfm, c.rfm_segment AS to_rfm, p.lifecycle_stage AS from_lifecycle, c.lifecycle_stage AS to_lifecycle
  FROM ${rel.customer_segments} AS c
  FULL OUTER JOIN ${rel.previous_segments} AS p ON p.customer_id = c.customer_id
)
SELECT 'rfm' AS kind, from_rfm AS from_segment, to_rfm AS to_segment, count(*) AS customers FROM pairs GROUP BY from_rfm, to_rfm
UNION ALL
SELECT 'lifecycle' AS kind, from_lifecycle AS from_segment, to_lifecycle AS to_segment, count(*) AS customers FROM pairs GROUP BY from_lifecycle, to_lifecycle
ORDER BY kind ASC, from_segment ASC NULLS FIRST, to_segment ASC NULLS FIRST`;
}
