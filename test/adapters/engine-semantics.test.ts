import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { lifecycleStageSql } from '../../shared/segments/lifecycle.ts';
import { scoreFromRankSql } from '../../shared/sql/segments.ts';
import { allRfmCells, rfmSegmentSql } from '../../shared/segments/rfm-grid.ts';
import { scratchEngine } from '../helpers/duckdb.ts';

/**
 * Places where Trino (Athena) and DuckDB agree on syntax but not on meaning. Each test pins how the shared SQL
 * avoids the difference, and what Trino documents for the same expression, so a DuckDB upgrade that changes
 * behaviour fails here instead of silently changing results.
 */
let engine: DuckDbQueryEngine;
const one = async (sql: string) => (await engine.query('test', `SELECT ${sql} AS v`))[0]?.v;

beforeAll(async () => {
  engine = await scratchEngine();
});
afterAll(async () => engine.close());

describe('engine semantics pinned for the shared SQL', () => {
  it('integer division: DuckDB gives 3.5 where Trino gives 3, so the SQL always casts to double first', async () => {
    expect(await one('7 / 2')).toBe(3.5); // Trino: 3
    expect(await one('CAST(7 AS double) / 2')).toBe(3.5); // both engines
  });

  it('date_diff: on timestamps DuckDB counts midnights (Trino counts whole days); on dates both agree', async () => {
    expect(await one("date_diff('day', TIMESTAMP '2024-01-01 23:00:00', TIMESTAMP '2024-01-02 01:00:00')")).toBe(1); // Trino: 0
    expect(await one("date_diff('day', CAST(TIMESTAMP '2024-01-01 23:00:00' AS date), CAST(TIMESTAMP '2024-01-02 01:00:00' AS date))")).toBe(1);
    expect(await one("date_diff('day', DATE '2024-02-28', DATE '2024-03-01')")).toBe(2);
  });

  it('NULL ordering: the SQL states NULLS LAST where NULLs can occur', async () => {
    const rows = await engine.query('test', 'SELECT x FROM (VALUES (2), (NULL), (1)) AS t (x) ORDER BY x DESC NULLS LAST');
    expect(rows.map((r) => r.x)).toEqual([2, 1, null]);
  });

  it('from_iso8601_timestamp accepts ISO-8601 with offsets and converts to UTC', async () => {
    expect(await one("CAST(try(from_iso8601_timestamp('2024-01-02T23:30:00-05:00') AT TIME ZONE 'UTC') AS timestamp)")).toBe('2024-01-03T04:30:00.000Z');
    expect(await one("CAST(try(from_iso8601_timestamp('2024-01-02T10:00:00Z') AT TIME ZONE 'UTC') AS timestamp)")).toBe('2024-01-02T10:00:00.000Z');
    expect(await one("CAST(try(from_iso8601_timestamp('2024-01-02') AT TIME ZONE 'UTC') AS timestamp)")).toBe('2024-01-02T00:00:00.000Z');
  });

  it('from_iso8601_timestamp rejects what Trino rejects (space separator, day-first dates) as NULL under try()', async () => {
    expect(await one("try(from_iso8601_timestamp('2024-01-02 10:00:00'))")).toBeNull();
    expect(await one("try(from_iso8601_timestamp('31/12/2025 10:00'))")).toBeNull();
    expect(await one("try(from_iso8601_timestamp('2024-13-45T10:00:00Z'))")).toBeNull();
  });

  it('time zone: a timestamp without offset is read as UTC, as in an Athena session', async () => {
    expect(await one("CAST(try(from_iso8601_timestamp('2024-06-01T12:00:00') AT TIME ZONE 'UTC') AS timestamp)")).toBe('2024-06-01T12:00:00.000Z');
    expect(await one("current_setting('TimeZone')")).toBe('UTC');
  });

  it('greatest ignores NULL in DuckDB but returns NULL in Trino, so the SQL only passes non-NULL arguments', async () => {
    expect(await one('greatest(1, NULL)')).toBe(1); // Trino: NULL
  });

  it('regexp_replace replaces only the first match in DuckDB (all in Trino), so the SQL does not use it', async () => {
    expect(await one("regexp_replace('a b c', ' ', '')")).toBe('ab c'); // Trino: 'abc'
    expect(await one("replace('a b c', ' ', '')")).toBe('abc'); // both
  });

  it('NaN and Infinity parse as doubles in both engines; the staging range check rejects them', async () => {
    expect(await one("NOT (abs(try_cast('NaN' AS double)) < 1e12)")).toBe(true);
    expect(await one("NOT (abs(try_cast('Infinity' AS double)) < 1e12)")).toBe(true);
  });

  it('contains(ARRAY[…], x) is the membership test the staging uses: NULL is never a member', async () => {
    expect(await one("contains(ARRAY['web', 'app'], 'app')")).toBe(true);
    expect(await one("contains(ARRAY['web', 'app'], 'fax')")).toBe(false);
    // Trino returns NULL here; the staging SQL tests IS NULL first, so both engines take the same branch.
    expect(await one("coalesce(contains(ARRAY['web', 'app'], CAST(NULL AS varchar)), false)")).toBe(false);
  });

  it('trim removes spaces; the staging only calls it on values that start or end with one', async () => {
    expect(await one("trim('  a b  ')")).toBe('a b');
    expect(await one("CASE WHEN ' x' LIKE ' %' OR ' x' LIKE '% ' THEN trim(' x') ELSE ' x' END")).toBe('x');
  });

  it('AT TIME ZONE is shimmed for UTC only (the only zone the SQL uses) and refuses any other', async () => {
    expect(await one("CAST(TIMESTAMPTZ '2024-01-02 23:30:00-05:00' AT TIME ZONE 'UTC' AS timestamp)")).toBe('2024-01-03T04:30:00.000Z');
    expect(await one("TIMESTAMPTZ '2024-01-02 10:00:00+00' AT TIME ZONE 'Europe/Berlin'")).toBeNull();
  });

  it('compat macros: regexp_like, cardinality, day_of_week (ISO, Monday = 1), array_join', async () => {
    expect(await one("regexp_like('EUR', '^[A-Z]{3}$')")).toBe(true);
    expect(await one("cardinality(ARRAY['a', 'b'])")).toBe(2);
    expect(await one("day_of_week(DATE '2024-05-05')")).toBe(7);
    expect(await one("array_join(ARRAY['a', 'b'], '|')")).toBe('a|b');
  });
});

describe('lifecycle SQL', () => {
  it('assigns stages in journey order with inclusive thresholds', async () => {
    const thresholds = { newWithinDays: 30, activeWithinDays: 90, lapsingWithinDays: 180 };
    const cases: [number, number | null, number | null, string][] = [
      [0, null, null, 'prospect'],
      [1, 30, 30, 'new'],
      [2, 5, 31, 'active'],
      [2, 90, 400, 'active'],
      [2, 91, 400, 'lapsing'],
      [2, 180, 400, 'lapsing'],
      [2, 181, 400, 'churned'],
    ];
    const values = cases.map(([f, r, d], i) => `(${i}, ${f}, ${r ?? 'NULL'}, ${d ?? 'NULL'})`).join(', ');
    const rows = await engine.query(
      'test',
      `SELECT ${lifecycleStageSql(thresholds, { frequency: 'f', recencyDays: 'r', daysSinceFirstPurchase: 'd' })} AS stage FROM (VALUES ${values}) AS t (i, f, r, d) ORDER BY i`,
    );
    expect(rows.map((r) => r.stage)).toEqual(cases.map((c) => c[3]));
  });
});

describe('RFM scoring SQL', () => {
  it('the generated CASE agrees with the TypeScript grid on all 125 cells', async () => {
    const values = allRfmCells().map((c) => `(${c.r}, ${c.f}, ${c.m})`).join(', ');
    const rows = await engine.query(
      'test',
      `SELECT r, f, m, ${rfmSegmentSql('r', 'f', 'm', '1')} AS segment FROM (VALUES ${values}) AS t (r, f, m) ORDER BY r, f, m`,
    );
    expect(rows.map((r) => r.segment)).toEqual(allRfmCells().map((c) => c.segment));
  });

  it('gives equal values equal scores regardless of row order, and spreads distinct values over 1–5', async () => {
    // 10 customers: five share the value 1, the rest are distinct.
    const values = [1, 1, 1, 1, 1, 2, 3, 4, 5, 6];
    const shuffled = [3, 1, 6, 1, 2, 1, 5, 1, 4, 1];
    const run = async (vs: number[]) =>
      engine.query(
        'test',
        `SELECT v, ${scoreFromRankSql('rank() OVER (ORDER BY v ASC)', 'count(*) OVER ()', 5)} AS score FROM (VALUES ${vs.map((v, i) => `(${v}, ${i})`).join(', ')}) AS t (v, i) ORDER BY v, i`,
      );
    const a = await run(values);
    const b = await run(shuffled);
    expect(a).toEqual(b);
    const byValue = new Map<number, Set<number>>();
    for (const r of a) byValue.set(Number(r.v), (byValue.get(Number(r.v)) ?? new Set()).add(Number(r.score)));
    for (const scores of byValue.values()) expect(scores.size).toBe(1);
    expect(a.map((r) => r.score)).toEqual([1, 1, 1, 1, 1, 3, 4, 4, 5, 5]);
  });
});
