import { describe, expect, it } from 'vitest';
import { TABLE_NAMES } from '../../shared/contracts/lake.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { customerFeaturesSql } from '../../shared/sql/features.ts';
import { PLAIN_RELATIONS } from '../../shared/sql/relations.ts';
import { coverageSql, customerSegmentsSql, cutPointsSql } from '../../shared/sql/segments.ts';
import { STAGE_SQL } from '../../shared/sql/staging.ts';
import { distributionsSql, medianRecencySql, quarantineSql, rejectExamplesSql, segmentSummarySql, tableQualitySql } from '../../shared/sql/summaries.ts';

/** Every statement the refresh sends, for checks that must hold across all of them. */
function allStatements(): string[] {
  const config = defaultSegmentsConfig();
  const rel = PLAIN_RELATIONS;
  const asOf = '2026-06-30';
  return [
    ...TABLE_NAMES.flatMap((t) => [STAGE_SQL[t](rel, { asOf, config }), tableQualitySql(rel, t), rejectExamplesSql(rel, t, 3), quarantineSql(rel, t)]),
    customerFeaturesSql(rel, asOf),
    customerSegmentsSql(rel, config, asOf, 5),
    customerSegmentsSql(rel, config, asOf, 3),
    coverageSql(rel),
    cutPointsSql(rel),
    segmentSummarySql(rel),
    medianRecencySql(rel),
    distributionsSql(rel),
  ];
}

describe('generated SQL', () => {
  it("only ever converts time zones to UTC (the DuckDB shim of timezone() supports nothing else)", () => {
    for (const sql of allStatements()) {
      for (const match of sql.matchAll(/AT TIME ZONE\s+('[^']*')/gi)) expect(match[1]).toBe("'UTC'");
    }
  });

  it('never divides without casting to double first (Trino divides integers as integers)', () => {
    for (const sql of allStatements()) {
      for (const match of sql.matchAll(/\//g)) {
        const before = sql.slice(0, match.index).trimEnd();
        // The dividend is a cast to double, or a decimal literal such as 4.0.
        expect(before.slice(-60)).toMatch(/AS double\)$|\d\.\d+$/);
      }
    }
  });

  it('scans each input table exactly once', () => {
    const statements = allStatements();
    for (const raw of ['raw_orders', 'raw_customers', 'raw_events']) {
      const scans = statements.reduce((n, sql) => n + (sql.match(new RegExp(`\\b${raw}\\b`, 'g'))?.length ?? 0), 0);
      expect(scans, raw).toBe(1);
    }
  });
});
