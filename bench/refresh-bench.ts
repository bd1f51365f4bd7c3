/**
 * One lake size of `npm run bench` (bench/run-all.ts runs every size): in the same process and on the same lake,
 * - the full refresh, per stage: wall time, rows/s, peak RSS, and the lake bytes (needed column chunks) each
 *   staging statement reads;
 * - the limit: one query scanning the needed columns of each table once, grouped by customer (limit-query.ts);
 * - the incremental nightly run: yesterday's state (a full run as of the day before), then the run that reads
 *   only the one new day, each in a process of its own as the nightly job runs, with its bytes (new partitions +
 *   the state it reads) against the full run's, and a check that both published the same customer_segments;
 * - the alternatives (alternatives.ts): one query per segment over the raw tables, and a row-by-row script.
 * A benchmark, not a test: run it on a quiet machine and read the numbers.
 *
 *   npm run bench:refresh -- [--customers 1000000] [--seed 1] [--lake .data/bench-1m] [--memory-limit 1400MB] [--repeat 3] [--skip-alternatives]
 *
 * The lake is generated once (all tables Parquet, orders and events partitioned by day over 365 days) and reused
 * while its options match. Results go to bench/results/refresh-<N>.json; BENCHMARKS.md is rewritten from all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TABLE_NAMES, type TableName } from '../shared/contracts/lake.ts';
import { STATE_ROOT } from '../shared/contracts/state.ts';
import { STATE_GRAINS, STATE_SOURCE, type StateGrain } from '../shared/sql/state.ts';
import { inWindow, type PartitionWindow } from '../shared/engines/partitions.ts';
import { generateLake } from '../shared/generate/generate-lake.ts';
import { DEFAULT_MEMORY_LIMIT, refreshLocal } from '../shared/pipeline/local.ts';
import type { RefreshResult } from '../shared/pipeline/refresh.ts';
import { addDays } from '../shared/time.ts';
import { runPerSegmentQueries, runRowByRow } from './alternatives.ts';
import { openBenchDuckDb } from './bench-duckdb.ts';
import { runLimit } from './limit-query.ts';
import { neededBytesByTable } from './parquet-bytes.ts';
import { MemorySampler, median } from './measure.ts';
import { writeBenchmarksMd } from './report.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    lake: { type: 'string' },
    'memory-limit': { type: 'string', default: DEFAULT_MEMORY_LIMIT },
    'as-of': { type: 'string', default: '2026-06-30' },
    'skip-alternatives': { type: 'boolean', default: false },
    'skip-incremental': { type: 'boolean', default: false },
    /** Full refreshes to time, each followed by the limit, and incremental runs; the medians are compared (see main). */
    repeat: { type: 'string', default: '1' },
    /** Internal: run one refresh ({outDir, asOf, full}) and print its figures as JSON (see childRefresh). */
    'child-run': { type: 'string' },
  },
});
const customers = Number(values.customers);
const seed = Number(values.seed);
const asOf = values['as-of'] ?? '2026-06-30';
const lake = values.lake ?? `.data/bench-${customers >= 1_000_000 ? `${customers / 1_000_000}m` : `${customers / 1000}k`}`;
const out = path.join(os.tmpdir(), `segments-bench-out-${customers}`);
const memoryLimit = values['memory-limit'] ?? DEFAULT_MEMORY_LIMIT;
const repeat = Math.max(1, Math.trunc(Number(values.repeat)) || 1);

async function vmHwm(): Promise<number | null> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

async function ensureLake(): Promise<{ generatedSeconds: number | null; rows: Record<string, number> }> {
  const metaFile = path.join(lake, '_meta', 'generator.json');
  if (existsSync(metaFile)) {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as { options: { customers: number; seed: number; asOf: string; formats: Record<string, string> }; rows: Record<string, number> };
    const o = meta.options;
    if (o.customers === customers && o.seed === seed && o.asOf === asOf && Object.values(o.formats).every((f) => f === 'parquet')) {
      return { generatedSeconds: null, rows: meta.rows };
    }
  }
  process.stderr.write(`generating ${customers.toLocaleString('en-US')} customers into ${lake} …\n`);
  const started = performance.now();
  const report = await generateLake({
    customers,
    seed,
    out: lake,
    asOf,
    overwrite: true,
    formats: { customers: 'parquet', orders: 'parquet', events: 'parquet' },
    onProgress: (stage) => process.stderr.write(`  ${stage}\n`),
  });
  return { generatedSeconds: (performance.now() - started) / 1000, rows: report.rows };
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

interface StageFigure {
  stage: string;
  seconds: number;
  rows: number | null;
  rowsPerSecond: number | null;
  peakRssMiB: number;
  /** Lake bytes (needed column chunks) the stage's statements read; an incremental run's state stages read the previous state. */
  inputBytes: number | null;
}

/** One refresh, timed per stage, with the peak RSS of each stage. */
async function timedRefresh(outDir: string, runAsOf: string, inputBytes: Record<string, number>, rowsByStage: Record<string, number>, full = false) {
  const sampler = new MemorySampler();
  const stages: StageFigure[] = [];
  sampler.takePeak();
  const started = performance.now();
  const result = await refreshLocal({
    lakeDir: lake,
    outDir,
    asOf: runAsOf,
    full,
    memoryLimit,
    onStage: (event) => {
      if (event.status === 'start') {
        sampler.takePeak();
        return;
      }
      const seconds = (event.ms ?? 0) / 1000;
      const stageRows = rowsByStage[event.stage] ?? null;
      const peakRssMiB = mib(sampler.takePeak());
      stages.push({
        stage: event.stage,
        seconds,
        rows: stageRows,
        rowsPerSecond: stageRows !== null && seconds > 0 ? Math.round(stageRows / seconds) : null,
        peakRssMiB,
        inputBytes: inputBytes[event.stage] ?? null,
      });
      process.stderr.write(`  ${event.stage.padEnd(26)} ${seconds.toFixed(2).padStart(7)} s  peak ${peakRssMiB} MiB\n`);
    },
  });
  const totalSeconds = (performance.now() - started) / 1000;
  sampler.stop();
  return { result, totalSeconds, stages, peakRssMiB: Math.max(...stages.map((s) => s.peakRssMiB)) };
}

/** Needed-column bytes per table for the files a window keeps. */
async function lakeBytes(window?: PartitionWindow): Promise<Record<TableName, number>> {
  const byTable = await neededBytesByTable(lake, (f) => inWindow(f, window));
  return Object.fromEntries(TABLE_NAMES.map((t) => [t, byTable[t].neededBytes])) as Record<TableName, number>;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/**
 * Per stage, the median of the runs' wall times (rows per second from it) and the highest peak RSS; the stages
 * come in the first run's order, and a stage some run did not have is left out of that run's median.
 */
function medianStages(runs: readonly StageFigure[][]): StageFigure[] {
  return runs[0]!.map((first) => {
    const same = runs.flatMap((stages) => stages.filter((s) => s.stage === first.stage));
    const seconds = median(same.map((s) => s.seconds));
    return {
      ...first,
      seconds,
      rowsPerSecond: first.rows !== null && seconds > 0 ? Math.round(first.rows / seconds) : null,
      peakRssMiB: Math.max(...same.map((s) => s.peakRssMiB)),
    };
  });
}

type RunFigures = Pick<ChildRun, 'totalSeconds' | 'peakRssMiB' | 'stages'>;

/** Repeated runs of the same refresh as one figure: the median time, per stage the medians, the highest peak. */
function summarizeRuns(runs: readonly RunFigures[]): RunFigures & { runsSeconds: number[] } {
  return {
    totalSeconds: median(runs.map((r) => r.totalSeconds)),
    runsSeconds: runs.map((r) => r.totalSeconds),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    stages: medianStages(runs.map((r) => r.stages)),
  };
}

interface ChildRun {
  prefix: string;
  mode: RefreshResult['mode'];
  mergedGrains: StateGrain[];
  totalSeconds: number;
  peakRssMiB: number;
  stages: StageFigure[];
}

/**
 * One refresh in a process of its own, as the nightly job runs: a run measured after others in the same process
 * inherits their allocator's retained memory (about 300 MiB more peak RSS at 1 M customers).
 */
function childRefresh(outDir: string, runAsOf: string, full: boolean): ChildRun {
  const args = ['--import', 'tsx', 'bench/refresh-bench.ts', '--customers', String(customers), '--lake', lake, '--memory-limit', memoryLimit];
  const child = spawnSync(process.execPath, [...args, '--child-run', JSON.stringify({ outDir, asOf: runAsOf, full })], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`the refresh as of ${runAsOf} exited with ${child.status}`);
  return JSON.parse(child.stdout) as ChildRun;
}

async function main() {
  if (values['child-run']) {
    const spec = JSON.parse(values['child-run']) as { outDir: string; asOf: string; full: boolean };
    const run = await timedRefresh(spec.outDir, spec.asOf, {}, {}, spec.full);
    const figures: ChildRun = {
      prefix: run.result.prefix,
      mode: run.result.mode,
      mergedGrains: run.result.quality.refresh?.previous_state_grains ?? [],
      totalSeconds: run.totalSeconds,
      peakRssMiB: mib((await vmHwm()) ?? run.peakRssMiB * 1024 * 1024),
      stages: run.stages,
    };
    process.stdout.write(JSON.stringify(figures));
    return;
  }
  const { generatedSeconds, rows } = await ensureLake();
  const threads = Math.min(os.availableParallelism(), 4);
  const fullOut = `${out}-full`;
  const incOut = `${out}-incremental`;
  // The incremental run's starting point, put back before each repeat (below).
  const incBase = `${out}-incremental-base`;
  for (const dir of [fullOut, incOut, incBase]) await rm(dir, { recursive: true, force: true });

  // The nightly scenario: the lake holds 365 days up to the day before --as-of, the last complete day, which is
  // what both runs are as of. The full run reads every day; the incremental run continues the state of the night
  // before (a run as of the day before) and reads the one new day.
  const runAsOf = addDays(asOf, -1);
  const yesterday = addDays(asOf, -2);
  const fullBytes = await lakeBytes({ through: runAsOf });
  const stageBytes = (b: Record<TableName, number>) => Object.fromEntries(TABLE_NAMES.map((t) => [`stage ${t}`, b[t]]));
  const rowsByStage: Record<string, number> = { 'stage orders': rows.orders ?? 0, 'stage customers': rows.customers ?? 0, 'stage events': rows.events ?? 0 };

  process.stderr.write(`full refresh as of ${runAsOf} …\n`);
  const full = await timedRefresh(fullOut, runAsOf, stageBytes(fullBytes), rowsByStage, true);
  const peak = (await vmHwm()) ?? full.peakRssMiB * 1024 * 1024;

  let incrementalReport: Record<string, unknown> | null = null;
  if (!values['skip-incremental']) {
    process.stderr.write(`state for the incremental run: full refresh as of ${yesterday} …\n`);
    const base = childRefresh(incOut, yesterday, true);
    const incBytes = await lakeBytes({ through: runAsOf, after: yesterday });
    const stateDir = path.join(incOut, base.prefix, STATE_ROOT);
    const grainBytes = {} as Record<StateGrain, number>;
    for (const grain of STATE_GRAINS) {
      const folder = path.join(stateDir, grain);
      grainBytes[grain] = 0;
      // A grain the run did not keep (profiles, with a customers snapshot) has no folder.
      for (const file of await readdir(folder).catch(() => [])) if (file.endsWith('.parquet')) grainBytes[grain] += (await stat(path.join(folder, file))).size;
    }
    // Each repeat continues the same night: the output folder is put back as the base run left it, so every run
    // reads the same state and the same new day.
    if (repeat > 1) await cp(incOut, incBase, { recursive: true });
    const incrementalRuns: ChildRun[] = [];
    for (let i = 0; i < repeat; i++) {
      if (i > 0) {
        await rm(incOut, { recursive: true, force: true });
        await cp(incBase, incOut, { recursive: true });
      }
      process.stderr.write(`incremental refresh as of ${runAsOf}${repeat > 1 ? `, run ${i + 1} of ${repeat}` : ''} …\n`);
      const run = childRefresh(incOut, runAsOf, false);
      if (run.mode.mode !== 'incremental') throw new Error(`expected an incremental run, got ${JSON.stringify(run.mode)}`);
      incrementalRuns.push(run);
    }
    await rm(incBase, { recursive: true, force: true });
    const last = incrementalRuns.at(-1)!;
    const incremental = summarizeRuns(incrementalRuns);
    // Only the grains the run merged were read (an unpartitioned customers table replaces the previous profiles).
    const merged = last.mergedGrains;
    const stateBytes = merged.reduce((total, grain) => total + grainBytes[grain], 0);
    for (const figure of incremental.stages) {
      const staged = /^stage (\w+)$/.exec(figure.stage)?.[1] as TableName | undefined;
      if (staged) figure.inputBytes = incBytes[staged] ?? null;
      const table = /^state (\w+) \(merge\)$/.exec(figure.stage)?.[1];
      if (table) figure.inputBytes = merged.filter((g) => STATE_SOURCE[g] === table).reduce((total, g) => total + grainBytes[g], 0);
    }
    const identical = await sameSegments(path.join(fullOut, full.result.prefix, 'customer_segments'), path.join(incOut, last.prefix, 'customer_segments'));
    const incrementalRead = sum(incBytes) + stateBytes;
    incrementalReport = {
      /** As for the full refresh: the median of the runs, per stage the medians, the highest peak. */
      totalSeconds: round(incremental.totalSeconds),
      runsSeconds: incremental.runsSeconds.map((v) => round(v)),
      peakRssMiB: incremental.peakRssMiB,
      lakeBytesRead: sum(incBytes),
      stateBytesRead: stateBytes,
      bytesRead: incrementalRead,
      bytesRatioToFull: round(incrementalRead / sum(fullBytes), 4),
      lakeBytesRatioToFull: round(sum(incBytes) / sum(fullBytes), 4),
      identicalCustomerSegments: identical,
      stages: incremental.stages,
    };
  }
  process.stderr.write('the limit: one scan of the needed columns, grouped by customer …\n');
  const limit = await runLimit(lake, { threads, memoryLimit });
  // On this shared VM the same run varies by about ±10 % from one minute to the next. With --repeat N the full
  // refresh runs N times (the first above, the others each in a process of their own; per stage, the medians too),
  // each followed by the limit, and the medians are compared, so a slow minute does not decide the ratio.
  const fullRuns: RunFigures[] = [{ totalSeconds: full.totalSeconds, peakRssMiB: mib(peak), stages: full.stages }];
  const limitRuns = [limit.ms / 1000];
  for (let i = 1; i < repeat; i++) {
    process.stderr.write(`full refresh as of ${runAsOf}, run ${i + 1} of ${repeat} …\n`);
    fullRuns.push(childRefresh(`${fullOut}-${i}`, runAsOf, true));
    await rm(`${fullOut}-${i}`, { recursive: true, force: true });
    limitRuns.push((await runLimit(lake, { threads, memoryLimit })).ms / 1000);
  }
  const fullSummary = summarizeRuns(fullRuns);
  const { totalSeconds: refreshSeconds, runsSeconds: refreshRuns, peakRssMiB: fullPeakMiB } = fullSummary;
  const limitSeconds = median(limitRuns);
  const withAlternatives = !values['skip-alternatives'];
  let alternatives: Record<string, unknown> | null = null;
  if (withAlternatives) {
    process.stderr.write('alternative: one query per segment …\n');
    const perSegment = await runPerSegmentQueries(lake, { threads, memoryLimit, asOf: runAsOf });
    process.stderr.write('alternative: a row-by-row script …\n');
    const rowByRow = await runRowByRow(lake, { threads, memoryLimit, asOf: runAsOf });
    alternatives = {
      perSegmentQueries: { seconds: round(perSegment.ms / 1000), queries: perSegment.queries, bytes: perSegment.bytes, peakRssMiB: mib(perSegment.peakRssBytes) },
      rowByRow: { seconds: round(rowByRow.ms / 1000), peakRssMiB: mib(rowByRow.peakRssBytes) },
    };
  }
  const file = `bench/results/refresh-${customers}.json`;
  if (!alternatives && existsSync(file)) {
    // The alternatives do not depend on the refresh's code: a refresh-only rerun keeps the ones last measured.
    const before = JSON.parse(await readFile(file, 'utf8')) as { alternatives?: Record<string, unknown> | null; date?: string };
    if (before.alternatives) alternatives = { measured: before.date, ...before.alternatives };
  }
  const inputRows = (rows.orders ?? 0) + (rows.events ?? 0) + (rows.customers ?? 0);
  const report = {
    benchmark: 'refresh',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    lake: { path: lake, customers, seed, asOf, rows, formats: 'parquet, partitioned by day', generatedSeconds, neededBytes: fullBytes },
    refresh: {
      runId: full.result.runId,
      /** The median of the runs, and per stage the median of its times (peak: the highest). */
      totalSeconds: round(refreshSeconds),
      runsSeconds: refreshRuns.map((v) => round(v)),
      inputRowsPerSecond: Math.round(inputRows / refreshSeconds),
      /** The highest of the runs. */
      peakRssMiB: fullPeakMiB,
      memoryLimit,
      customersSegmented: full.result.quality.coverage.customers,
      lakeBytesRead: sum(fullBytes),
      stages: fullSummary.stages,
    },
    limit: {
      /** The median of the measurements, each the faster of two runs. */
      seconds: round(limitSeconds),
      runsSeconds: limitRuns.map((v) => round(v)),
      bytes: limit.bytes,
      peakRssMiB: limit.peakRssBytes ? mib(limit.peakRssBytes) : null,
      timeRatio: round(refreshSeconds / limitSeconds),
      bytesRatio: round(sum(fullBytes) / limit.bytes, 3),
    },
    incremental: incrementalReport,
    alternatives,
    targets: { limitTimeRatio: 2, limitBytesRatio: 1.1, incrementalBytesRatio: 0.05, peakRssMiBAt3M: 4096 },
  };
  await mkdir('bench/results', { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  await writeBenchmarksMd();
  process.stdout.write(
    [
      '',
      `Refresh of ${customers.toLocaleString('en-US')} customers (${(rows.orders ?? 0).toLocaleString('en-US')} orders, ${(rows.events ?? 0).toLocaleString('en-US')} events)`,
      `  full ${refreshSeconds.toFixed(1)} s${repeat > 1 ? ` (median of ${refreshRuns.map((v) => v.toFixed(1)).join(', ')})` : ''}, ${report.limit.timeRatio}× the limit's ${report.limit.seconds} s, peak RSS ${fullPeakMiB} MiB, lake bytes ${report.limit.bytesRatio}× the needed columns`,
      incrementalReport ? `  incremental ${String(incrementalReport.totalSeconds)} s, reads ${((incrementalReport.bytesRatioToFull as number) * 100).toFixed(1)}% of the full run's bytes, same customer_segments: ${String(incrementalReport.identicalCustomerSegments)}` : '  incremental: skipped',
      `  written to ${file} and BENCHMARKS.md`,
      '',
    ].join('\n'),
  );
  for (const dir of [fullOut, incOut]) await rm(dir, { recursive: true, force: true });
}

/** Whether two runs published the same customer_segments rows (run ids aside). */
async function sameSegments(a: string, b: string): Promise<boolean> {
  const db = await openBenchDuckDb({ threads: 2 });
  try {
    const one = `SELECT * EXCLUDE (run_id) FROM read_parquet('${a}/*.parquet')`;
    const two = `SELECT * EXCLUDE (run_id) FROM read_parquet('${b}/*.parquet')`;
    const reader = await db.connection.runAndReadAll(`SELECT (SELECT count(*) FROM (${one} EXCEPT ALL ${two})) + (SELECT count(*) FROM (${two} EXCEPT ALL ${one}))`);
    return Number(reader.getRows()[0]?.[0]) === 0;
  } finally {
    db.close();
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack}\n`);
  process.exitCode = 1;
});
