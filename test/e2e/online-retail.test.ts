import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertOnlineRetail, DEFAULT_INPUT } from '../../examples/online-retail/convert.ts';
import type { PersonasDocument, QualityDocument, SegmentsDocument } from '../../shared/contracts/outputs.ts';
import { parseSegmentsConfig } from '../../shared/contracts/config.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { computeRfmOracle, loadRetailCsv } from '../fixtures/rfm-oracle.ts';
import { latestRunDir, readJson, readParquetRows } from '../helpers/outputs.ts';
import { tempDir } from '../helpers/duckdb.ts';

/**
 * The real, dirty Online Retail sample, converted with the documented example and refreshed end to end.
 * Figures are checked against an oracle computed in plain TypeScript straight from the original CSV.
 */
const AS_OF = '2011-12-10';
let runDir: string;

beforeAll(async () => {
  const lake = await tempDir('retail-lake');
  const out = await tempDir('retail-out');
  await convertOnlineRetail(DEFAULT_INPUT, lake);
  // The export is in GBP: report in GBP, so the figures compare with the oracle's without conversion.
  const config = parseSegmentsConfig({ version: 1, currency: { reporting: 'GBP', rates: {} } });
  await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF, config });
  runDir = await latestRunDir(out);
});

describe('refresh on the real Online Retail sample', () => {
  it('matches the independent RFM computation for every customer', async () => {
    const oracle = computeRfmOracle(loadRetailCsv(DEFAULT_INPUT), AS_OF);
    const rows = await readParquetRows(path.join(runDir, 'customer_segments', '*.parquet'));
    expect(rows.length).toBe(oracle.size);
    for (const row of rows) {
      const expected = oracle.get(String(row.customer_id));
      expect(expected, `customer ${row.customer_id}`).toBeDefined();
      if (!expected) continue;
      expect(row.recency_days === null ? null : Number(row.recency_days)).toBe(expected.recency_days);
      expect(Number(row.frequency)).toBe(expected.frequency);
      expect(Number(row.monetary)).toBeCloseTo(expected.monetary, 6);
      expect(row.r_score).toBe(expected.r_score);
      expect(row.f_score).toBe(expected.f_score);
      expect(row.m_score).toBe(expected.m_score);
    }
  });

  it('quarantines the 2,000 lines without a customer id and names the reason, file and field', async () => {
    const quality = await readJson<QualityDocument>(path.join(runDir, 'quality.json'));
    const orders = quality.tables.orders!;
    expect(orders.rows_read).toBe(30_000);
    expect(orders.rejected_by_reason).toEqual({ missing_customer_id: 2_000 });
    expect(orders.examples[0]).toMatchObject({ reason: 'missing_customer_id', field: 'customer_id', file: 'orders/orders.csv' });
    const quarantined = await readParquetRows(path.join(runDir, 'quarantine', 'orders', '*.parquet'), 'row_values');
    // Identical bad lines are stored once with their count.
    expect(quarantined.reduce((sum, r) => sum + Number(r.rows_count), 0)).toBe(2_000);
    expect(new Set(quarantined.map((r) => r.reject_reason))).toEqual(new Set(['missing_customer_id']));
  });

  it('assigns every customer exactly one RFM segment and lifecycle stage', async () => {
    const quality = await readJson<QualityDocument>(path.join(runDir, 'quality.json'));
    expect(quality.coverage.share).toBe(1);
    const segments = await readJson<SegmentsDocument>(path.join(runDir, 'segments.json'));
    const total = segments.customers;
    const sum = (kind: string) => segments.segments.filter((s) => s.kind === kind).reduce((a, s) => a + s.size, 0);
    expect(sum('rfm')).toBe(total);
    expect(sum('lifecycle')).toBe(total);
    expect(segments.rfm.status).toBe('ok');
    // Ties: 1,489 customers bought exactly once; they must share one frequency score.
    const f1 = segments.rfm.cut_points.filter((c) => c.metric === 'frequency' && c.min_value <= 1);
    expect(f1).toHaveLength(1);
    expect(f1[0]?.max_value).toBe(1);
  });

  it('writes personas that say what this orders-only lake lacks and rank the web shop every order came through', async () => {
    const personas = await readJson<PersonasDocument>(path.join(runDir, 'personas.json'));
    expect(personas.personas.length).toBeGreaterThan(0);
    for (const p of personas.personas) {
      // The converter writes channel "web" on every line and there are no events or consent columns.
      expect(p.preferred_channels[0]).toMatchObject({ channel: 'web', score: 1 });
      expect(p.preferred_channels.slice(1).every((c) => c.score === 0)).toBe(true);
      const md = await readFile(path.join(runDir, 'personas', `${p.segment.id}.en.md`), 'utf8');
      expect(md).not.toContain('unknown');
      expect(md).toContain('- _no data for: average age, age, gender, income, education, marital status and occupation_');
      expect(md).toMatch(/\n1\. website: 100% reachable/);
    }
  });
});
