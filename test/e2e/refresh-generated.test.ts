import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { OrderRow } from '../../shared/contracts/lake.ts';
import type { LatestPointer, QualityDocument, SegmentsDocument } from '../../shared/contracts/outputs.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { quintileScores } from '../fixtures/rfm-oracle.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { readJson, readParquetRows } from '../helpers/outputs.ts';

/**
 * The whole refresh on a generated lake (planted archetypes and bad rows), checked against an independent
 * computation: raw files read without project code, rows validated with the zod contract, RFM computed in
 * TypeScript with exact integer arithmetic.
 */
const AS_OF = '2026-06-30';
let lake: string;
let out: string;
let runDir: string;
let segmentRows: Record<string, unknown>[];

async function rawOrders(lakeDir: string): Promise<Record<string, string | null>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const glob = path.join(lakeDir, 'orders', '**', '*.parquet').replaceAll("'", "''");
    const reader = await c.runAndReadAll(
      `SELECT order_id, customer_id, order_ts, CAST(amount AS VARCHAR) AS amount, currency, category, channel, country FROM read_parquet('${glob}', hive_partitioning = false)`,
    );
    return reader.getRowObjectsJson() as Record<string, string | null>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const blankToUndefined = (row: Record<string, string | null>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null || v.trim() === '' ? undefined : k === 'channel' ? v.trim().toLowerCase() : v.trim()]));

const RATES = defaultSegmentsConfig().currency!;
/** A rate in millionths: amounts (1/10,000 units) × rate (1/1,000,000) are exact in 1/10^10 units. */
const rateMicros = (currency: string | undefined) =>
  currency === undefined || currency.toUpperCase() === RATES.reporting ? 1_000_000n : BigInt(Math.round((RATES.rates[currency.toUpperCase()] ?? Number.NaN) * 1e6));

/** 1/10^10 units → 1/10^4 units, rounding half away from zero. */
function roundToTenThousandths(units: bigint): bigint {
  const scale = 1_000_000n;
  const sign = units < 0n ? -1n : 1n;
  const abs = units * sign;
  return sign * ((abs + scale / 2n) / scale);
}

/** Independent RFM: contract validation by the zod schema, exact sums in 1/10^10 units, the documented tie rule. */
function independentRfm(rows: Record<string, string | null>[], asOf: string) {
  const asOfDay = Date.parse(`${asOf}T00:00:00Z`) / 86_400_000;
  const end = Date.parse(`${asOf}T00:00:00Z`) + 86_400_000;
  const customers = new Map<string, { monetary: bigint; orders: Map<string, { amount: bigint; day: number }> }>();
  for (const raw of rows) {
    const parsed = OrderRow.safeParse(blankToUndefined(raw));
    if (!parsed.success) continue;
    const row = parsed.data;
    const ts = Date.parse(row.order_ts);
    if (!(ts < end)) continue;
    // Each row is converted exactly, then rounded once to 1/10,000 of the reporting currency.
    const units = roundToTenThousandths(BigInt(Math.round(Number(row.amount) * 10_000)) * rateMicros(row.currency));
    const c = customers.get(row.customer_id) ?? { monetary: 0n, orders: new Map() };
    customers.set(row.customer_id, c);
    c.monetary += units;
    const o = c.orders.get(row.order_id) ?? { amount: 0n, day: Math.floor(ts / 86_400_000) };
    o.amount += units;
    o.day = Math.min(o.day, Math.floor(ts / 86_400_000));
    c.orders.set(row.order_id, o);
  }
  const result = new Map<string, { recency: number | null; frequency: number; monetary: bigint; r?: number; f?: number; m?: number }>();
  for (const [id, c] of customers) {
    const rounded = [...c.orders.values()];
    const purchases = rounded.filter((o) => o.amount > 0n);
    const last = purchases.length ? Math.max(...purchases.map((o) => o.day)) : null;
    const monetary = rounded.reduce((sum, o) => sum + o.amount, 0n);
    result.set(id, { recency: last === null ? null : asOfDay - last, frequency: purchases.length, monetary });
  }
  const buyers = [...result.entries()].filter(([, v]) => v.frequency > 0);
  const r = quintileScores(buyers.map(([, v]) => BigInt(-(v.recency ?? 0))));
  const f = quintileScores(buyers.map(([, v]) => BigInt(v.frequency)));
  const m = quintileScores(buyers.map(([, v]) => v.monetary));
  buyers.forEach(([, v], i) => Object.assign(v, { r: r[i], f: f[i], m: m[i] }));
  return result;
}

beforeAll(async () => {
  lake = path.join(await tempDir('gen-lake'), 'lake');
  out = await tempDir('gen-out');
  await generateLake({ customers: 4_000, seed: 7, out: lake, asOf: AS_OF });
  const result = await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF });
  runDir = path.join(out, result.prefix);
  segmentRows = await readParquetRows(path.join(runDir, 'customer_segments', '*.parquet'));
});

describe('refresh on a generated lake', () => {
  it('computes recency, frequency, monetary and scores equal to an independent computation', async () => {
    const expected = independentRfm(await rawOrders(lake), AS_OF);
    const byId = new Map(segmentRows.map((r) => [String(r.customer_id), r]));
    expect(expected.size).toBeGreaterThan(2_000);
    for (const [id, e] of expected) {
      const row = byId.get(id);
      expect(row, id).toBeDefined();
      expect(row?.recency_days === null ? null : Number(row?.recency_days)).toBe(e.recency);
      expect(Number(row?.frequency)).toBe(e.frequency);
      expect(Math.round(Number(row?.monetary) * 10_000)).toBe(Number(e.monetary));
      expect([row?.r_score, row?.f_score, row?.m_score]).toEqual(e.frequency > 0 ? [e.r, e.f, e.m] : [null, null, null]);
    }
  });

  it('gives equal values equal scores', () => {
    for (const [value, score] of [['recency_days', 'r_score'], ['frequency', 'f_score'], ['monetary', 'm_score']] as const) {
      const scoresByValue = new Map<string, Set<unknown>>();
      for (const row of segmentRows.filter((r) => r[score] !== null)) {
        const key = String(row[value]);
        scoresByValue.set(key, (scoresByValue.get(key) ?? new Set()).add(row[score]));
      }
      expect(scoresByValue.size).toBeGreaterThan(3);
      for (const scores of scoresByValue.values()) expect(scores.size).toBe(1);
    }
  });

  it('covers every customer with exactly one RFM segment and one lifecycle stage', async () => {
    const quality = await readJson<QualityDocument>(path.join(runDir, 'quality.json'));
    expect(quality.coverage.share).toBe(1);
    expect(segmentRows).toHaveLength(quality.coverage.customers);
    expect(new Set(segmentRows.map((r) => r.customer_id)).size).toBe(segmentRows.length);
    for (const row of segmentRows) {
      expect(row.rfm_segment).toEqual(expect.any(String));
      expect(row.lifecycle_stage).toEqual(expect.any(String));
    }
    // Customers with neither orders nor events but a profile are still segmented.
    const truth = await archetypes();
    const inactive = segmentRows.filter((r) => truth.get(String(r.customer_id)) === 'inactive');
    expect(inactive.length).toBeGreaterThan(0);
    for (const row of inactive) expect([row.rfm_segment, row.lifecycle_stage]).toEqual(['no_purchase', 'prospect']);
  });

  it('quarantines and counts exactly the bad rows the generator planted', async () => {
    const meta = await readJson<{ badRows: Record<string, Record<string, number>> }>(path.join(lake, '_meta', 'generator.json'));
    const quality = await readJson<QualityDocument>(path.join(runDir, 'quality.json'));
    for (const table of ['orders', 'customers', 'events'] as const) {
      const planted = Object.fromEntries(Object.entries(meta.badRows[table] ?? {}).filter(([, n]) => n > 0));
      expect(quality.tables[table]?.rejected_by_reason, table).toEqual(planted);
      const quarantined = Object.values(planted).reduce((a, b) => a + b, 0);
      if (quarantined > 0) {
        const rows = await readParquetRows(path.join(runDir, 'quarantine', table, '*.parquet'), 'reject_reason');
        expect(rows).toHaveLength(quarantined);
        for (const example of quality.tables[table]?.examples ?? []) expect(example.file).toMatch(new RegExp(`^${table}/`));
      }
    }
  });

  it('separates the planted archetypes', async () => {
    const truth = await archetypes();
    const shareOf = (archetype: string, predicate: (r: Record<string, unknown>) => boolean) => {
      const rows = segmentRows.filter((r) => truth.get(String(r.customer_id)) === archetype);
      return rows.filter(predicate).length / rows.length;
    };
    expect(shareOf('browser_never_buys', (r) => r.rfm_segment === 'no_purchase')).toBe(1);
    expect(shareOf('loyal_premium', (r) => ['champions', 'loyal'].includes(String(r.rfm_segment)))).toBeGreaterThan(0.8);
    expect(shareOf('lapsed', (r) => ['lapsing', 'churned'].includes(String(r.lifecycle_stage)))).toBeGreaterThan(0.9);
    expect(shareOf('new_customer', (r) => r.lifecycle_stage === 'new')).toBeGreaterThan(0.8);
    expect(shareOf('holiday_gifter', (r) => (r.segments as string[]).includes('holiday_shoppers'))).toBeGreaterThan(0.8);
    expect(shareOf('regular', (r) => (r.segments as string[]).includes('holiday_shoppers'))).toBeLessThan(0.5);
  });

  it('gives the same results when rerun for the same as-of date', async () => {
    const again = await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF });
    const rerunRows = await readParquetRows(path.join(out, again.prefix, 'customer_segments', '*.parquet'));
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ run_id: _ignored, ...rest }) => rest);
    expect(strip(rerunRows)).toEqual(strip(segmentRows));
    const first = await readJson<SegmentsDocument>(path.join(runDir, 'segments.json'));
    const second = await readJson<SegmentsDocument>(path.join(out, again.prefix, 'segments.json'));
    expect(second.segments).toEqual(first.segments);
    expect(second.rfm).toEqual(first.rfm);
    expect(second.provenance.config_hash).toBe(first.provenance.config_hash);
    const latest = await readJson<LatestPointer>(path.join(out, 'latest.json'));
    expect(latest.run_id).toBe(again.runId);
  });
});

async function archetypes(): Promise<Map<string, string>> {
  const text = await readFile(path.join(lake, '_meta', 'archetypes.csv'), 'utf8');
  return new Map(text.trim().split('\n').slice(1).map((line) => line.split(',') as [string, string]));
}
