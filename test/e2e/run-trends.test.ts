import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../examples/online-retail/csv.ts';
import { OUTPUT_TABLES } from '../../shared/contracts/output-tables.ts';
import {
  HistoryDocument,
  LatestPointer,
  ManifestDocument,
  MigrationDocument,
  SegmentsDocument,
  type MigrationFlow,
} from '../../shared/contracts/outputs.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { silentLogger } from '../../shared/logging.ts';
import { refreshSegments, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { migrationSql } from '../../shared/sql/migration.ts';
import { PLAIN_RELATIONS } from '../../shared/sql/relations.ts';
import { LocalObjectStore } from '../../shared/stores/local.ts';
import { MemoryStore } from '../adapters/athena-fakes.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { readJson, readParquetRows } from '../helpers/outputs.ts';

/**
 * Four nightly runs into one results folder: a smaller lake first, then two as-of dates over a larger one (new
 * customers arrive, segments and stages move as days pass), then the smaller lake again (customers depart) with
 * history capped at 2 runs. migration.json is checked against flows computed here from the two runs' Parquet, history.json against
 * the runs' segments.json, and segment_summary.csv is parsed back.
 */
const RUNS = [
  { asOf: '2026-02-15', lake: 'b', maxRuns: 30 },
  { asOf: '2026-03-15', lake: 'a', maxRuns: 30 },
  { asOf: '2026-03-31', lake: 'a', maxRuns: 30 },
  { asOf: '2026-03-31', lake: 'b', maxRuns: 2 },
] as const;

let out: string;
const results: RefreshResult[] = [];
const lakes: Record<string, string> = {};

beforeAll(async () => {
  const root = await tempDir('run-trends');
  lakes.a = path.join(root, 'lake-a');
  lakes.b = path.join(root, 'lake-b');
  await generateLake({ customers: 2_000, seed: 11, out: lakes.a, asOf: '2026-03-31' });
  await generateLake({ customers: 1_500, seed: 12, out: lakes.b, asOf: '2026-03-31' });
  out = path.join(root, 'out');
  const store = new LocalObjectStore(out);
  let tick = 0;
  for (const run of RUNS) {
    const engine = await DuckDbQueryEngine.open({ lakeDir: lakes[run.lake]!, threads: 2 });
    try {
      const base = defaultSegmentsConfig();
      // A name with a comma and quotes, for the CSV round trip.
      const quoted = { id: 'big_spenders', name: 'Big, "bold" spenders', rule: { feature: 'monetary', op: 'gte', value: 500 } } as const;
      const config = { ...base, segments: [...base.segments, quoted], history: { maxRuns: run.maxRuns } };
      const clock = () => new Date(Date.UTC(2026, 3, 1, 1, 30, tick++));
      results.push(await refreshSegments({ engine, store, clock, log: silentLogger, toolVersion: 'test' }, { asOf: run.asOf, config }));
    } finally {
      await engine.close();
    }
  }
}, 240_000);

const runFile = <T>(result: RefreshResult, name: string) => readJson<T>(path.join(out, result.prefix, name));
const segmentsParquet = (result: RefreshResult) => readParquetRows(path.join(out, result.prefix, 'customer_segments', '*.parquet'));

/** The flows computed without project code: a full outer join of two runs' rows, in a Map. */
function independentFlows(previous: Record<string, unknown>[], current: Record<string, unknown>[], column: 'rfm_segment' | 'lifecycle_stage'): MigrationFlow[] {
  const before = new Map(previous.map((r) => [String(r.customer_id), String(r[column])]));
  const after = new Map(current.map((r) => [String(r.customer_id), String(r[column])]));
  const counts = new Map<string, MigrationFlow>();
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const from = before.get(id) ?? null;
    const to = after.get(id) ?? null;
    const key = JSON.stringify([from, to]);
    const flow = counts.get(key) ?? { from, to, customers: 0 };
    flow.customers += 1;
    counts.set(key, flow);
  }
  const rank = (v: string | null) => (v === null ? '' : `~${v}`);
  return [...counts.values()].sort((a, b) => (rank(a.from) < rank(b.from) ? -1 : rank(a.from) > rank(b.from) ? 1 : rank(a.to) < rank(b.to) ? -1 : rank(a.to) > rank(b.to) ? 1 : 0));
}

describe('migration.json', () => {
  it('on the first run has no previous run: every customer flows from null', async () => {
    const first = MigrationDocument.parse(await runFile(results[0]!, 'migration.json'));
    expect(first.previous_run_id).toBeNull();
    expect(first.previous_as_of).toBeNull();
    const customers = results[0]!.segments.customers;
    for (const kind of ['rfm', 'lifecycle'] as const) {
      expect(first.kinds[kind].every((f) => f.from === null && f.to !== null)).toBe(true);
      expect(first.kinds[kind].reduce((n, f) => n + f.customers, 0)).toBe(customers);
    }
    expect(first.new_customers).toBe(customers);
    expect(first.departed_customers).toBe(0);
    expect(first.moved).toEqual({ rfm: 0, lifecycle: 0 });
    // The flows into each segment are its size in segments.json.
    for (const f of first.kinds.rfm) expect(f.customers).toBe(results[0]!.segments.segments.find((s) => s.kind === 'rfm' && s.id === f.to)?.size);
  });

  it('counts the moves between consecutive runs exactly as a join of their Parquet computed here', async () => {
    for (let i = 1; i < RUNS.length; i++) {
      const doc = MigrationDocument.parse(await runFile(results[i]!, 'migration.json'));
      expect(doc.previous_run_id).toBe(results[i - 1]!.runId);
      expect(doc.previous_as_of).toBe(RUNS[i - 1]!.asOf);
      expect(doc).toEqual(results[i]!.migration);
      const [previous, current] = [await segmentsParquet(results[i - 1]!), await segmentsParquet(results[i]!)];
      expect(doc.kinds.rfm).toEqual(independentFlows(previous, current, 'rfm_segment'));
      expect(doc.kinds.lifecycle).toEqual(independentFlows(previous, current, 'lifecycle_stage'));
      const previousIds = new Set(previous.map((r) => r.customer_id));
      const currentIds = new Set(current.map((r) => r.customer_id));
      expect(doc.new_customers).toBe([...currentIds].filter((id) => !previousIds.has(id)).length);
      expect(doc.departed_customers).toBe([...previousIds].filter((id) => !currentIds.has(id)).length);
      const byId = new Map(previous.map((r) => [r.customer_id, r]));
      expect(doc.moved.rfm).toBe(current.filter((r) => byId.has(r.customer_id) && byId.get(r.customer_id)!.rfm_segment !== r.rfm_segment).length);
      expect(doc.moved.lifecycle).toBe(current.filter((r) => byId.has(r.customer_id) && byId.get(r.customer_id)!.lifecycle_stage !== r.lifecycle_stage).length);
    }
    // The data did change: new customers arrived, a fortnight later customers moved, the smaller lake lost some.
    expect(results[1]!.migration.new_customers).toBeGreaterThan(0);
    expect(results[2]!.migration.moved.rfm).toBeGreaterThan(0);
    expect(results[2]!.migration.moved.lifecycle).toBeGreaterThan(0);
    expect(results[2]!.migration.new_customers + results[2]!.migration.departed_customers).toBe(0);
    expect(results[3]!.migration.departed_customers).toBeGreaterThan(0);
  });

  it('is published as the segment_migration table, one JSON line per flow', async () => {
    const result = results[1]!;
    const text = await readFile(path.join(out, result.prefix, 'tables', 'segment_migration', 'part-00000.jsonl'), 'utf8');
    const rows = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(rows[0]!)).toEqual(OUTPUT_TABLES.segment_migration.columns.map((c) => c.name));
    expect(rows).toHaveLength(result.migration.kinds.rfm.length + result.migration.kinds.lifecycle.length);
    for (const row of rows) {
      expect(row).toMatchObject({ run_id: result.runId, previous_run_id: results[0]!.runId, as_of_date: RUNS[1].asOf, previous_as_of_date: RUNS[0].asOf });
      const flow = result.migration.kinds[row.kind as 'rfm' | 'lifecycle'].find((f) => f.from === row.from_segment && f.to === row.to_segment);
      expect(flow?.customers).toBe(row.customers);
    }
  });
});

describe('history.json', () => {
  it('accumulates the complete runs, oldest first, and keeps the last max_runs', async () => {
    const histories = await Promise.all(results.map(async (r) => HistoryDocument.parse(await runFile(r, 'history.json'))));
    expect(histories.map((h) => h.runs.map((r) => r.run_id))).toEqual([
      [results[0]!.runId],
      [results[0]!.runId, results[1]!.runId],
      [results[0]!.runId, results[1]!.runId, results[2]!.runId],
      [results[2]!.runId, results[3]!.runId],
    ]);
    expect(histories.map((h) => h.max_runs)).toEqual([30, 30, 30, 2]);
    for (const [i, h] of histories.entries()) {
      expect(h.provenance.run_id).toBe(results[i]!.runId);
      const entry = h.runs.at(-1)!;
      const segments = SegmentsDocument.parse(await runFile(results[i]!, 'segments.json'));
      expect(entry).toEqual({
        run_id: segments.provenance.run_id,
        as_of: segments.provenance.as_of,
        customers: segments.customers,
        revenue: segments.revenue,
        segments: segments.segments.map((s) => ({ id: s.id, kind: s.kind, name: s.name, size: s.size, revenue_share: s.revenue_share })),
      });
    }
    // Earlier entries are carried over unchanged.
    expect(histories[2]!.runs.slice(0, 2)).toEqual(histories[1]!.runs);
  });

  it('is written before latest.json, and listed with migration.json and the CSV in the manifest', async () => {
    const latest = LatestPointer.parse(await readJson(path.join(out, 'latest.json')));
    expect(latest.run_id).toBe(results[3]!.runId);
    for (const result of results) {
      const manifest = ManifestDocument.parse(await runFile(result, 'manifest.json'));
      for (const name of ['migration.json', 'history.json', 'segment_summary.csv', 'tables/segment_migration/part-00000.jsonl']) {
        const entry = manifest.files.find((f) => f.key === `${result.prefix}${name}`);
        expect(entry, name).toBeDefined();
        const body = await readFile(path.join(out, entry!.key));
        expect(entry!.sha256).toBe(createHash('sha256').update(body).digest('hex'));
      }
    }
  });
});

describe('segment_summary.csv', () => {
  it('parses back (RFC 4180) to the figures of segments.json', async () => {
    const result = results[2]!;
    const text = await readFile(path.join(out, result.prefix, 'segment_summary.csv'), 'utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, ...records] = parseCsv(text, 'segment_summary.csv').map((r) => r.fields);
    expect(header).toEqual(OUTPUT_TABLES.segment_summary.columns.map((c) => c.name));
    const segments = SegmentsDocument.parse(await runFile(result, 'segments.json'));
    expect(records).toHaveLength(segments.segments.length);
    const col = (row: string[], name: string) => row[header!.indexOf(name)]!;
    const share = (values: readonly { value: string | null; share: number }[]) => values.map((v) => `${v.value ?? '(none)'}:${v.share}`).join('|');
    for (const [i, s] of segments.segments.entries()) {
      const row = records[i]!;
      expect(row).toHaveLength(header!.length);
      expect(col(row, 'segment_id')).toBe(s.id);
      expect(col(row, 'segment_name')).toBe(s.name);
      expect(col(row, 'kind')).toBe(s.kind);
      expect(Number(col(row, 'size'))).toBe(s.size);
      expect(Number(col(row, 'share'))).toBe(s.share);
      expect(Number(col(row, 'revenue'))).toBe(s.revenue);
      expect(col(row, 'currency')).toBe(segments.currency ?? '');
      expect(col(row, 'median_recency_days')).toBe(s.median_recency_days === null ? '' : String(s.median_recency_days));
      expect(col(row, 'top_categories')).toBe(share(s.top_categories));
      expect(col(row, 'top_devices')).toBe(share(s.top_devices));
      expect(col(row, 'as_of_date')).toBe(RUNS[2].asOf);
    }
    // A rule segment name with a comma and quotes survives the round trip.
    expect(records.map((r) => col(r, 'segment_name'))).toContain('Big, "bold" spenders');
    expect(segments.currency).toBe('EUR');
  });
});

describe('customer_segments', () => {
  it('carries the experiment bucket of md5(salt || customer_id), stable across runs', async () => {
    const salt = defaultSegmentsConfig().experiments.salt;
    const [a, b] = [await segmentsParquet(results[1]!), await segmentsParquet(results[2]!)];
    expect(Object.keys(a[0]!)).toEqual(OUTPUT_TABLES.customer_segments.columns.map((c) => c.name));
    for (const row of a) {
      expect(row.experiment_bucket).toBe(createHash('md5').update(`${salt}${String(row.customer_id)}`, 'utf8').digest().readUInt32BE(0) % 100);
    }
    const before = new Map(a.map((r) => [r.customer_id, r.experiment_bucket]));
    for (const row of b) if (before.has(row.customer_id)) expect(row.experiment_bucket).toBe(before.get(row.customer_id));
  });
});

describe('attachPreviousRun on DuckDB', () => {
  it('downloads the previous run from a store that is not a local folder (S3) and compares with it', async () => {
    const previous = results[1]!;
    const memory = new MemoryStore('s3://results/');
    const folder = `${previous.prefix}customer_segments/`;
    const local = new LocalObjectStore(out);
    for (const o of await local.list(folder)) memory.objects.set(o.key, (await local.get(o.key))!);
    const engine = await DuckDbQueryEngine.open({ lakeDir: lakes.a!, threads: 2 });
    try {
      expect(await engine.attachPreviousRun({ store: memory, prefix: previous.prefix, runId: previous.runId })).toBe(true);
      const [row] = await engine.query('count', 'SELECT count(*) AS n, count(DISTINCT customer_id) AS ids FROM previous_segments');
      expect(row).toEqual({ n: previous.segments.customers, ids: previous.segments.customers });
      expect(await engine.attachPreviousRun({ store: memory, prefix: 'runs/nothing-here/', runId: 'nothing-here' })).toBe(false);
      expect(await engine.query('count', 'SELECT count(*) AS n FROM previous_segments')).toEqual([{ n: 0 }]);
      // The migration statement runs against the empty relation too (first run).
      await engine.query('segments', 'CREATE TEMP TABLE customer_segments AS SELECT * FROM previous_segments');
      expect(await engine.query('migration', migrationSql(PLAIN_RELATIONS))).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
