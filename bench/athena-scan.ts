/**
 * `npm run bench:athena-scan`: what a nightly run would cost on Athena, measured on the local engine.
 *
 *   npm run bench:athena-scan -- [--lake .data/bench-100k] [--as-of 2026-06-30]
 *
 * Athena bills the bytes each query reads (at least 10 MB per query). Its inputs are the lake's files and the run's
 * CTAS tables, so the run is replayed on DuckDB, every statement the pipeline sends is recorded, and every table it
 * builds is written as ZSTD Parquet (as the Athena adapter's CTAS writes it) to measure its size. Each statement's
 * bytes are the sizes of the relations it reads, once per reference (Trino scans a relation once per reference).
 * That is an upper bound: Athena reads only the referenced columns of Parquet files, and the staging statements
 * reference nearly all of them. Results go to bench/results/athena-scan-<customers>.json.
 */
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDbQueryEngine } from '../shared/engines/duckdb.ts';
import { silentLogger } from '../shared/logging.ts';
import { refreshSegments } from '../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../shared/segments/default-config.ts';
import { BUILT_RELATIONS, type BuiltRelation, type RelationName } from '../shared/sql/relations.ts';
import { LocalObjectStore } from '../shared/stores/local.ts';
import { TABLE_NAMES } from '../shared/contracts/lake.ts';

const { values } = parseArgs({
  options: {
    lake: { type: 'string', default: '.data/bench-100k' },
    'as-of': { type: 'string', default: '2026-06-30' },
  },
});
const lake = values.lake ?? '.data/bench-100k';
const asOf = values['as-of'] ?? '2026-06-30';
const MB = 1_000_000;
/** Athena's on-demand price in us-east-1, per TB scanned (decimal TB, as billed). */
const USD_PER_TB = 5;
const MIN_BILLED_BYTES = 10 * MB;

const meta = JSON.parse(await readFile(path.join(lake, '_meta', 'generator.json'), 'utf8')) as { options: { customers: number }; rows: Record<string, number> };
const scratch = path.join(os.tmpdir(), `athena-scan-${process.pid}`);
const engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2, memoryLimit: '2GB', tempDir: path.join(scratch, 'tmp') });
const statements: { kind: string; step: string; sql: string }[] = [];
for (const kind of ['query', 'materialize', 'unload'] as const) {
  const original = (engine[kind] as (...args: unknown[]) => Promise<unknown>).bind(engine);
  (engine as unknown as Record<string, unknown>)[kind] = (step: string, ...rest: unknown[]) => {
    const sql = String(kind === 'materialize' ? rest[1] : rest[0]);
    // The DuckDB adapter's own reads of the lake are not statements Athena would get.
    if (!step.startsWith('load ') && !step.startsWith('malformed ') && !step.startsWith('size ')) statements.push({ kind, step, sql });
    return original(step, ...rest);
  };
}

const sizes = new Map<RelationName, number>();
const sizesStore = new LocalObjectStore(path.join(scratch, 'sizes'));
/** A built table's size as ZSTD Parquet, as the Athena adapter's CTAS would write it. */
async function measureSize(name: BuiltRelation): Promise<void> {
  if (sizes.has(name)) return;
  await engine.unload(`size ${name}`, `SELECT * FROM ${engine.relations[name]}`, { store: sizesStore, prefix: `${name}/` });
  sizes.set(name, (await sizesStore.list(`${name}/`)).reduce((sum, o) => sum + o.bytes, 0));
}
// The pipeline drops tables it no longer needs (staged rows once their state is built): each is measured just
// before, the rest after the run.
const release = engine.release.bind(engine);
engine.release = async (names) => {
  for (const name of names) await measureSize(name);
  return release(names);
};

try {
  const inputs = await engine.prepareInputs();
  const started = performance.now();
  await refreshSegments(
    { engine, store: new LocalObjectStore(path.join(scratch, 'out')), clock: () => new Date(), log: silentLogger, toolVersion: 'bench' },
    { asOf, config: defaultSegmentsConfig(), runId: 'bench' },
  );
  const refreshSeconds = (performance.now() - started) / 1000;
  const recorded = statements.splice(0);

  for (const table of TABLE_NAMES) sizes.set(`raw_${table}`, inputs[table].bytes);
  for (const name of BUILT_RELATIONS) await measureSize(name);

  const names = [...sizes.keys()];
  const perStatement = recorded.map((s) => {
    const reads: Record<string, number> = {};
    for (const name of names) {
      const references = s.sql.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
      if (references > 0) reads[name] = references;
    }
    const bytes = Object.entries(reads).reduce((sum, [name, n]) => sum + n * (sizes.get(name as RelationName) ?? 0), 0);
    return { kind: s.kind, step: s.step, reads, bytes, billed_bytes: Math.max(MIN_BILLED_BYTES, Math.ceil(bytes / MB) * MB) };
  });
  const scanned = perStatement.reduce((sum, s) => sum + s.bytes, 0);
  const billed = perStatement.reduce((sum, s) => sum + s.billed_bytes, 0);
  const inputBytes = TABLE_NAMES.reduce((sum, t) => sum + inputs[t].bytes, 0);
  const report = {
    lake,
    customers: meta.options.customers,
    rows: meta.rows,
    input_bytes: inputBytes,
    relation_bytes: Object.fromEntries(sizes),
    statements: perStatement.length,
    scanned_bytes: scanned,
    billed_bytes: billed,
    scanned_vs_input: Number((scanned / inputBytes).toFixed(2)),
    usd_per_run: Number(((billed / 1e12) * USD_PER_TB).toFixed(4)),
    usd_per_month: Number(((billed / 1e12) * USD_PER_TB * 30).toFixed(2)),
    price_usd_per_tb: USD_PER_TB,
    local_refresh_seconds: Number(refreshSeconds.toFixed(1)),
    per_statement: perStatement,
    measured_at: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  };
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/athena-scan-${meta.options.customers}.json`;
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  const fmt = (b: number) => `${(b / MB).toFixed(1)} MB`;
  process.stdout.write(
    [
      `lake ${lake}: ${meta.options.customers.toLocaleString('en-US')} customers, input ${fmt(inputBytes)}`,
      ...perStatement.map((s) => `  ${s.kind.padEnd(11)} ${s.step.padEnd(26)} ${fmt(s.bytes).padStart(10)}  ${Object.entries(s.reads).map(([n, k]) => (k > 1 ? `${n}×${k}` : n)).join(', ')}`),
      `${perStatement.length} statements scan ${fmt(scanned)} (${report.scanned_vs_input}× the input), billed ${fmt(billed)} with the 10 MB minimum`,
      `≈ $${report.usd_per_run} per run, $${report.usd_per_month} per month of nightly runs at $${USD_PER_TB}/TB; written to ${file}`,
    ].join('\n') + '\n',
  );
} finally {
  await engine.close();
  await rm(scratch, { recursive: true, force: true });
}
