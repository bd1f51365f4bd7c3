import { DISCOVERY_FEATURES, type DiscoveryFeature, type FeatureStats } from '../discovery/features.ts';
import { sqlInteger, sqlNumber, sqlString } from './literals.ts';
import type { Relations } from './relations.ts';

/**
 * SQL of persona discovery. Column names come from DISCOVERY_FEATURES (code); the fitted numbers — means,
 * standard deviations, centres — reach the statements only through sqlNumber.
 */

/** Column of feature j in the sample and stats results. */
const col = (j: number) => `x${j}`;

/** Customers, and mean and population standard deviation of every feature over all of them (NULLs ignored). */
export function discoveryStatsSql(rel: Relations, features: readonly DiscoveryFeature[] = DISCOVERY_FEATURES): string {
  return `SELECT count(*) AS customers,
  ${features.map((f, j) => `avg(${col(j)}) AS mean_${j}, stddev_pop(${col(j)}) AS sd_${j}`).join(',\n  ')}
FROM (
  SELECT ${features.map((f, j) => `${f.sql} AS ${col(j)}`).join(',\n    ')}
  FROM ${rel.customer_features}
) AS x`;
}

/**
 * A deterministic systematic sample: customers in customer_id order, every `step`-th one from the first, with their
 * raw feature values (x0, x1, …). The same rows on every engine and every rerun; `step` = ceil(customers / cap).
 */
export function discoverySampleSql(rel: Relations, step: number, features: readonly DiscoveryFeature[] = DISCOVERY_FEATURES): string {
  return `SELECT customer_id, ${features.map((_, j) => col(j)).join(', ')}
FROM (
  SELECT customer_id,
    ${features.map((f, j) => `${f.sql} AS ${col(j)}`).join(',\n    ')},
    row_number() OVER (ORDER BY customer_id ASC) AS rn
  FROM ${rel.customer_features}
) AS x
WHERE (rn - 1) % ${sqlInteger(step)} = 0
ORDER BY customer_id ASC`;
}

export interface DiscoveryModel {
  features: readonly DiscoveryFeature[];
  stats: readonly FeatureStats[];
  /** Standardised centres, in the order of `segmentIds`. */
  centres: readonly (readonly number[])[];
  segmentIds: readonly string[];
}

/**
 * customer_id and discovered_segment for every row of `source` (a relation with customer_features' columns):
 * standardise each feature (missing → 0), the squared distance to each centre, and the id of the nearest centre;
 * ties go to the first centre, as in the TypeScript nearestCentre. Written as plain projections and one CASE, so
 * it runs unchanged on Trino and DuckDB and scales with the table.
 */
export function discoveryAssignmentSql(source: string, model: DiscoveryModel): string {
  const { features, stats, centres, segmentIds } = model;
  const z = features.map((f, j) => {
    const s = stats[j]!;
    if (!(s.stddev > 0)) return `0.0 AS z${j}`;
    return `coalesce((${f.sql} - ${sqlNumber(s.mean)}) / ${sqlNumber(s.stddev)}, 0.0) AS z${j}`;
  });
  const d = centres.map((centre, c) =>
    `${centre.map((v, j) => `(z${j} - ${sqlNumber(v)}) * (z${j} - ${sqlNumber(v)})`).join(' + ')} AS d${c}`,
  );
  // The first centre whose distance is ≤ every later one and < every earlier one is the lowest-index minimum.
  const whens = centres.slice(0, -1).map((_, c) => {
    const conditions = centres.map((__, o) => (o < c ? `d${c} < d${o}` : o > c ? `d${c} <= d${o}` : null)).filter((x) => x !== null);
    return `WHEN ${conditions.join(' AND ')} THEN ${sqlString(segmentIds[c]!)}`;
  });
  const last = sqlString(segmentIds[centres.length - 1]!);
  const choice = whens.length > 0 ? `CASE ${whens.join(' ')} ELSE ${last} END` : last;
  return `SELECT customer_id, ${choice} AS discovered_segment
FROM (
  SELECT customer_id,
    ${d.join(',\n    ')}
  FROM (
    SELECT customer_id,
      ${z.join(',\n      ')}
    FROM ${source}
  ) AS z
) AS d`;
}
