import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import type { Row } from '../../shared/engines/query-engine.ts';
import { PLAIN_RELATIONS } from '../../shared/sql/relations.ts';
import { membershipsSql } from '../../shared/sql/segments.ts';
import { DISTRIBUTION_DIMENSIONS, LIST_DIMENSIONS, distributionsSql, medianRecencySql, segmentSummarySql } from '../../shared/sql/summaries.ts';
import { scratchEngine } from '../helpers/duckdb.ts';

/**
 * The per-segment summary, distributions and medians count per membership signature and fan the counts out to
 * the segments. Here they are checked against the plain computation over the membership join (one row per customer
 * and segment), on customers with overlapping rule segments, no discovered segment, NULL values, empty lists and
 * ties in recency.
 */
let engine: DuckDbQueryEngine;

const pick = (values: string[], salt: number) => `CASE WHEN hash(i, ${salt}) % 9 = 0 THEN NULL ELSE [${values.map((v) => `'${v}'`).join(', ')}][CAST(1 + hash(i, ${salt + 1}) % ${values.length} AS integer)] END`;
const list = (values: string[], salt: number) =>
  `CASE WHEN hash(i, ${salt}) % 11 = 0 THEN NULL ELSE list_filter([${values.map((v) => `'${v}'`).join(', ')}], (x, j) -> hash(i, ${salt}, j) % 3 = 0) END`;

/** The columns the segment summary reads: negative amounts, zero-purchase browsers, NULLs, a constant and an all-NULL column per segment. */
const summaryColumns = `CAST((CAST(hash(i, 21) % 200000 AS bigint) - 20000) / 100.0 AS decimal(18, 4)) AS monetary,
  CAST(hash(i, 22) % 150000 / 100.0 AS decimal(18, 4)) AS purchase_revenue,
  CAST(hash(i, 23) % 3000 / 100.0 AS decimal(18, 4)) AS returned_amount,
  CASE WHEN hash(i, 24) % 4 = 0 THEN 0 ELSE CAST(hash(i, 25) % 30 AS bigint) END AS frequency,
  CASE WHEN hash(i, 26) % 6 = 0 THEN 0 ELSE CAST(hash(i, 27) % 500 AS bigint) END AS events_count,
  hash(i, 28) % 10 <> 0 AS has_profile,
  ${['product_views', 'add_to_cart', 'checkout_starts', 'purchase_events', 'email_opens', 'email_clicks', 'push_opens', 'sms_clicks', 'social_clicks', 'app_opens', 'christmas_orders', 'halloween_orders']
    .map((c, k) => `CAST(hash(i, ${40 + k}) % ${20 + 7 * k} AS bigint) AS ${c}`)
    .join(',\n  ')},
  CASE WHEN hash(i, 29) % 8 = 0 THEN NULL WHEN hash(i, 1) % 4 = 2 THEN 0.25 ELSE (hash(i, 30) % 1000) / 1000.0 END AS mobile_share,
  CASE WHEN hash(i, 31) % 8 = 0 THEN NULL ELSE (hash(i, 32) % 1000) / 1000.0 END AS app_share,
  CASE WHEN hash(i, 33) % 3 = 0 THEN NULL ELSE hash(i, 33) % 3 = 1 END AS email_opt_in,
  hash(i, 34) % 2 = 0 AS sms_opt_in,
  CASE WHEN hash(i, 35) % 5 = 0 THEN NULL ELSE hash(i, 35) % 2 = 0 END AS push_opt_in,
  CASE WHEN hash(i, 2) % 4 = 3 OR hash(i, 36) % 6 = 0 THEN NULL ELSE CAST(18 + hash(i, 37) % 60 AS integer) END AS age`;

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
  ${summaryColumns},
  ${scalars},
  ${lists}
FROM range(4000) AS t (i)`,
  );
  await engine.query('members', `CREATE TEMP TABLE segment_members AS ${membershipsSql('customer_segments', ['customer_id'])}`);
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

  it('give every segment the summary that aggregating over the membership join gives', async () => {
    const expected = await engine.query(
      'reference summary',
      `SELECT m.kind, m.segment_id, count(*) AS customers, sum(s.monetary) AS revenue, sum(s.purchase_revenue) AS purchase_revenue,
  sum(s.frequency) AS purchase_orders, sum(s.returned_amount) AS returned_amount, count_if(s.frequency > 0) AS buyers,
  count_if(s.frequency = 0 AND s.events_count > 0) AS browsers, count_if(s.events_count > 0) AS with_events, count_if(s.has_profile) AS with_profile,
  sum(s.product_views) AS product_views, sum(s.add_to_cart) AS add_to_cart, sum(s.checkout_starts) AS checkout_starts, sum(s.purchase_events) AS purchase_events,
  sum(s.email_opens) AS email_opens, sum(s.email_clicks) AS email_clicks, sum(s.push_opens) AS push_opens, sum(s.sms_clicks) AS sms_clicks,
  sum(s.social_clicks) AS social_clicks, sum(s.app_opens) AS app_opens, sum(s.events_count) AS events,
  count_if(s.email_opt_in) AS email_opt_in, count_if(s.sms_opt_in) AS sms_opt_in, count_if(s.push_opt_in) AS push_opt_in,
  count_if(s.age IS NOT NULL) AS with_age, sum(s.christmas_orders) AS christmas_orders, sum(s.halloween_orders) AS halloween_orders,
  count_if(len(s.interests) > 0) AS with_interests, count_if(len(s.lifestyle) > 0) AS with_lifestyle,
  avg(s.frequency) AS avg_frequency, avg(s.recency_days) AS avg_recency_days, avg(s.monetary) AS avg_monetary,
  avg(s.mobile_share) AS avg_mobile_share, avg(s.app_share) AS avg_app_share, avg(s.age) AS avg_age,
  stddev_pop(s.frequency) AS sd_frequency, stddev_pop(s.recency_days) AS sd_recency_days, stddev_pop(s.monetary) AS sd_monetary,
  stddev_pop(s.mobile_share) AS sd_mobile_share, stddev_pop(s.app_share) AS sd_app_share, stddev_pop(s.social_clicks) AS sd_social_clicks
FROM segment_members AS m JOIN customer_segments AS s ON s.customer_id = m.customer_id
GROUP BY m.kind, m.segment_id`,
    );
    const actual = new Map((await engine.query('segment summary', segmentSummarySql(PLAIN_RELATIONS))).map((r) => [`${r.kind}/${r.segment_id}`, r]));
    expect(actual.size).toBe(expected.length);
    // The cases the moments must get right are there: a segment without any age, one with a constant mobile share.
    expect(expected.some((r) => r.avg_age === null && r.kind === 'lifecycle')).toBe(true);
    expect(expected.some((r) => Number(r.sd_mobile_share) === 0)).toBe(true);
    for (const want of expected) {
      const got = actual.get(`${want.kind}/${want.segment_id}`)!;
      expect(Object.keys(got).sort(), String(want.segment_id)).toEqual(Object.keys(want).sort());
      for (const [column, value] of Object.entries(want)) {
        const where = `${want.kind}/${want.segment_id} ${column}`;
        if (value === null || typeof value === 'string') expect(got[column], where).toBe(value);
        else if (column.startsWith('avg_') || column.startsWith('sd_')) expect(Number(got[column]), where).toBeCloseTo(Number(value), 9);
        else expect(Number(got[column]), where).toBe(Number(value));
      }
    }
  });
});
