import { describe, expect, it } from 'vitest';
import { quintileScores } from '../../bench/alternatives.ts';
import { NEEDED_COLUMNS } from '../../bench/parquet-bytes.ts';
import { TABLE_NAMES } from '../../shared/contracts/lake.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { PLAIN_RELATIONS } from '../../shared/sql/relations.ts';
import { STAGE_SQL } from '../../shared/sql/staging.ts';

describe('bench NEEDED_COLUMNS', () => {
  it.each(TABLE_NAMES)('names only columns the %s staging SQL reads', (table) => {
    // Prepare
    const sql = STAGE_SQL[table](PLAIN_RELATIONS, { asOf: '2026-06-30', config: defaultSegmentsConfig() });
    // Act
    const unread = NEEDED_COLUMNS[table].filter((column) => !new RegExp(`\\b${column}\\b`).test(sql));
    // Assess
    expect(unread).toEqual([]);
    expect(NEEDED_COLUMNS[table]).toContain('customer_id');
  });
});

describe('bench quintileScores (rank-based, as the refresh scores)', () => {
  it('spreads distinct values evenly over 1–5', () => {
    expect([...quintileScores(Float64Array.from([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]))]).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
  });

  it('gives equal values equal scores (the lowest rank of the tie)', () => {
    expect([...quintileScores(Float64Array.from([1, 1, 1, 1, 2]))]).toEqual([1, 1, 1, 1, 5]);
    expect([...quintileScores(Float64Array.from([3, 3, 3]))]).toEqual([1, 1, 1]);
  });

  it('ranks the largest first when descending (recency in days: most recent scores 5)', () => {
    expect([...quintileScores(Float64Array.from([0, 100, 50, 200, 300]), true)]).toEqual([5, 3, 4, 2, 1]);
  });
});
