import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import type { Row } from '../../shared/engines/query-engine.ts';
import { type Counter, packedCounts } from '../../shared/sql/packed-counts.ts';
import { customerCountsStageSql } from '../../shared/sql/staging.ts';
import { scratchEngine } from '../helpers/duckdb.ts';

/**
 * The events stage packs its counts two to a DOUBLE sum. Here the read-back is checked against count_if on the
 * real engine, and a group too big for its slots is quarantined rather than miscounted (with 3-bit slots, since a
 * test cannot stage 2^26 rows).
 */
let engine: DuckDbQueryEngine;

const COUNTERS: Counter[] = [
  { name: 'kind_a', column: 'kind', equals: 'a' },
  { name: 'kind_b', column: 'kind', equals: 'b' },
  { name: 'kind_any', column: 'kind', notNull: true },
  { name: 'kind_c', column: 'kind', equals: 'c' },
  { name: 'device_x', column: 'device', equals: 'x' },
  { name: 'device_y', column: 'device', equals: 'y' },
  { name: 'device_any', column: 'device', notNull: true },
];

const conditionSql = (c: Counter) => ('equals' in c ? `${c.column} = '${c.equals}'` : `${c.column} IS NOT NULL`);

// Skewed groups (one with 30,000 rows) and values outside every counter ('zz', NULL).
const ROWS = `WITH packed_rows AS (
  SELECT CAST(CASE WHEN i < 30000 THEN 0 ELSE hash(i, 1) % 60 END AS integer) AS g,
    ['a', 'b', 'c', 'zz', NULL][CAST(1 + hash(i, 2) % 5 AS integer)] AS kind,
    ['x', 'y', NULL][CAST(1 + hash(i, 3) % 3 AS integer)] AS device
  FROM range(60000) AS t (i)
)`;

beforeAll(async () => {
  engine = await scratchEngine();
});

afterAll(async () => {
  await engine?.close();
});

describe('packed counts', () => {
  it('read back every count exactly, for an odd number of counters and overlapping notNull counts', async () => {
    const packed = packedCounts(COUNTERS, 'rows_count');
    const got = await engine.query(
      'packed',
      `${ROWS} SELECT g, ${Object.entries(packed.counts).map(([name, expr]) => `${expr} AS ${name}`).join(', ')}
FROM (SELECT g, count(*) AS rows_count, ${Object.entries(packed.sums).map(([name, expr]) => `${expr} AS ${name}`).join(', ')} FROM packed_rows GROUP BY g)
ORDER BY g`,
    );
    const want = await engine.query(
      'count_if',
      `${ROWS} SELECT g, ${COUNTERS.map((c) => `CAST(count_if(${conditionSql(c)}) AS integer) AS ${c.name}`).join(', ')} FROM packed_rows GROUP BY g ORDER BY g`,
    );
    expect(want.length).toBe(60);
    expect(want.find((r) => r.g === 0)?.kind_any).toBeGreaterThan(20000);
    expect(got).toEqual(want);
  });

  it('quarantine a customer whose rows do not fit the slots, and keep the others exact', async () => {
    const packed = packedCounts(COUNTERS.slice(0, 3), 'rows_count', 3);
    // 'big' has 8 rows (= 2^3), 'small' 7; 'late' has 9 rows after the as-of date, which are not counted at all.
    const rows = [
      ...Array.from({ length: 8 }, () => "('f.parquet', 'big', NULL, TIMESTAMP '2026-01-02 00:00:00', 'a')"),
      ...Array.from({ length: 7 }, (_, i) => `('f.parquet', 'small', NULL, TIMESTAMP '2026-01-02 00:00:00', '${i < 5 ? 'a' : 'b'}')`),
      ...Array.from({ length: 9 }, () => "('f.parquet', 'late', NULL, TIMESTAMP '2026-03-01 00:00:00', 'a')"),
      "('events/dt=2026-01-02/part 7 of 9.csv', NULL, 'missing_customer_id', NULL, 'a')",
    ];
    const sql = customerCountsStageSql({
      checked: `WITH checked AS (SELECT * FROM (VALUES ${rows.join(', ')}) AS t (source_file, customer_id, reject_reason, ts, kind))`,
      timestamp: 'ts',
      asOf: '2026-01-31',
      counts: packed,
      tooManyReason: 'too_many_events',
      rawColumns: ['customer_id', 'kind'],
    });
    const staged = await engine.query('stage', `SELECT grain, customer_id, reject_reason, source_file, row_values, rows_count, kind_a, kind_b, kind_any FROM (${sql}) ORDER BY grain, customer_id NULLS FIRST, reject_reason`);
    const pick = (r: Row) => ({ grain: r.grain, customer_id: r.customer_id, reason: r.reject_reason, file: r.source_file, values: r.row_values, rows: Number(r.rows_count) });
    expect(staged.map(pick)).toEqual([
      { grain: 'customer', customer_id: null, reason: null, file: null, values: null, rows: 9 },
      { grain: 'customer', customer_id: 'small', reason: null, file: null, values: null, rows: 7 },
      { grain: 'reject', customer_id: null, reason: 'missing_customer_id', file: 'events/dt=2026-01-02/part 7 of 9.csv', values: 'customer_id=NULL kind=a', rows: 1 },
      { grain: 'reject', customer_id: null, reason: 'too_many_events', file: null, values: 'customer_id=big', rows: 8 },
    ]);
    const small = staged.find((r) => r.customer_id === 'small');
    expect([small?.kind_a, small?.kind_b, small?.kind_any]).toEqual([5, 2, 7]);
  });
});
