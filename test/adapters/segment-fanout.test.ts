import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import type { Row } from '../../shared/engines/query-engine.ts';
import { PLAIN_RELATIONS } from '../../shared/sql/relations.ts';
import { segmentMembersSql } from '../../shared/sql/segments.ts';
import { DISTRIBUTION_DIMENSIONS, LIST_DIMENSIONS, distributionsSql, medianRecencySql } from '../../shared/sql/summaries.ts';
import { scratchEngine } from '../helpers/duckdb.ts';

/**
 * The per-segment distributions and medians count per membership signature and fan the counts out to the
 * segments. Here they are checked against the plain computation over the membership join (one row per customer
 * and segment), on customers with overlapping rule segments, no discovered segment, NULL values, empty lists and
 * ties in recency.
 */
let engine: DuckDbQueryEngine;

const pick = (values: string[], salt: number) => `CASE WHEN hash(i, ${salt}) % 9 = 0 THEN NULL ELSE [${values.map((v) => `'${v}'`).join(', ')}][CAST(1 + hash(i, ${salt + 1}) % ${values.length} AS integer)] END`;
const list = (values: string[], salt: number) =>
  `CASE WHEN hash(i, ${salt}) % 11 = 0 THEN NULL ELSE list_filter([${values.map((v) => `'${v}'`).join(', ')}], (x, j) -> hash(i, ${salt}, j) % 3 = 0) END`;

beforeAll(async () => {
  engine = await scratchEngine();
  const scalars = DISTRIBUTION_DIMENSIONS.filter((d) => d !== 'rfm_segment' && d !== 'lifecycle_stage')
    .map((d, k) => `${pick([`${d}_a`, `${d}_b`, `${d}_c`, `${d}_d`], 100 + 10 * k)} AS ${d}`)
    .join(',\n  ');
  const lists = LIST_DIMENSIONS.map((d, k) => `${list([`${d}_x`, `${d}_y`, `${d}_z`, `${d}_w`], 500 + 10 * k)} AS ${d}`).join(',\n  ');
  await engine.materialize(
    'segments',
    'customer_segments',
    `SELECT 'c' || i AS customer_id,
  ['champions', 'loyal', 'lost', 'new_customers'][CAST(1 + hash(i, 1) % 4 AS integer)] AS rfm_segment,
  ['new', 'active', 'lapsing', 'churned'][CAST(1 + hash(i, 2) % 4 AS integer)] AS lifecycle_stage,
  CASE WHEN hash(i, 3) % 5 = 0 THEN NULL ELSE 'cluster_' || (hash(i, 4) % 3) END AS discovered_segment,
  list_filter(['vip', 'mobile_first', 'email_fans'], (x, j) -> hash(i, 5, j) % 2 = 0) AS segments,
  CASE WHEN hash(i, 6) % 7 = 0 THEN NULL ELSE CAST(hash(i, 7) % 40 AS integer) END AS recency_days,
  ${scalars},
  ${lists}
FROM range(4000) AS t (i)`,
  );
  await engine.materialize('members', 'segment_members', segmentMembersSql(PLAIN_RELATIONS));
});

afterAll(async () => engine?.close());

const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).sort();

describe('per-segment counts fanned out from membership signatures', () => {
  it('give every segment the value counts that counting over the membership join gives', async () => {
    const join = 'segment_members AS m JOIN customer_segments AS s ON s.customer_id = m.customer_id';
    const reference = [
      ...DISTRIBUTION_DIMENSIONS.map((d) => `SELECT m.kind, m.segment_id, '${d}' AS dimension, CAST(s.${d} AS varchar) AS value, count(*) AS customers FROM ${join} GROUP BY 1, 2, 3, 4`),
      ...LIST_DIMENSIONS.map((d) => `SELECT m.kind, m.segment_id, '${d}' AS dimension, t.value, count(*) AS customers FROM ${join} CROSS JOIN UNNEST(s.${d}) AS t (value) GROUP BY 1, 2, 3, 4`),
    ].join('\nUNION ALL\n');
    const expected = await engine.query('reference', `SELECT kind, segment_id, dimension, value, CAST(customers AS bigint) AS customers FROM (${reference}) AS r`);
    const actual = await engine.query('distributions', `SELECT kind, segment_id, dimension, CAST(value AS varchar) AS value, customers FROM (${distributionsSql(PLAIN_RELATIONS)}) AS d`);
    expect(expected.length).toBeGreaterThan(500);
    expect(new Set(actual.map((r) => r.kind))).toEqual(new Set(['all', 'rfm', 'lifecycle', 'rule', 'discovered']));
    expect(sorted(actual)).toEqual(sorted(expected));
  });

  it('give every segment the lower median recency of its members', async () => {
    const expected = await engine.query(
      'reference median',
      `SELECT m.kind, m.segment_id, CAST(quantile_disc(s.recency_days, 0.5) AS integer) AS median_recency_days
FROM segment_members AS m JOIN customer_segments AS s ON s.customer_id = m.customer_id
WHERE s.recency_days IS NOT NULL GROUP BY 1, 2`,
    );
    const actual = await engine.query('median', `SELECT kind, segment_id, CAST(median_recency_days AS integer) AS median_recency_days FROM (${medianRecencySql(PLAIN_RELATIONS)}) AS m`);
    expect(expected.length).toBeGreaterThan(10);
    expect(sorted(actual)).toEqual(sorted(expected));
  });
});
