/**
 * `npm run bench`: the nightly refresh on a large generated lake, with wall time, rows per second and peak
 * memory per stage. A benchmark, not a test: run it on a quiet machine and read the numbers.
 *
 *   npm run bench -- [--customers 1000000] [--seed 1] [--lake .data/bench-1m] [--memory-limit 1536MB]
 *
 * The lake is generated once (all tables Parquet, partitioned by day over 365 days) and reused while its
 * options match. Results go to bench/results/refresh-<N>.json and a table in BENCHMARKS.md.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateLake } from '../shared/generate/generate-lake.ts';
import { refreshLocal } from '../shared/pipeline/local.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    lake: { type: 'string' },
    'memory-limit': { type: 'string', default: '1536MB' },
    'as-of': { type: 'string', default: '2026-06-30' },
  },
});
const customers = Number(values.customers);
const seed = Number(values.seed);
const asOf = values['as-of'] ?? '2026-06-30';
const lake = values.lake ?? `.data/bench-${customers >= 1_000_000 ? `${customers / 1_000_000}m` : `${customers / 1000}k`}`;
const out = path.join(os.tmpdir(), `segments-bench-out-${customers}`);

/** Resident memory of this process (DuckDB runs inside it), sampled; reset per stage. */
class MemorySampler {
  #peak = 0;
  #timer: NodeJS.Timeout;
  constructor() {
    this.#timer = setInterval(() => this.sample(), 20);
    this.#timer.unref();
  }
  sample() {
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
  }
  takePeak(): number {
    this.sample();
    const peak = this.#peak;
    this.#peak = process.memoryUsage.rss();
    return peak;
  }
  stop() {
    clearInterval(this.#timer);
  }
}

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

async function main() {
  const { generatedSeconds, rows } = await ensureLake();
  await rm(out, { recursive: true, force: true });
  const sampler = new MemorySampler();
  const stages: { stage: string; seconds: number; rows: number | null; rowsPerSecond: number | null; peakRssMiB: number }[] = [];
  const rowsByStage: Record<string, number> = {
    'stage orders': rows.orders ?? 0,
    'stage customers': rows.customers ?? 0,
    'stage events': rows.events ?? 0,
  };
  sampler.takePeak();
  const started = performance.now();
  const result = await refreshLocal({
    lakeDir: lake,
    outDir: out,
    asOf,
    memoryLimit: values['memory-limit'] ?? '1536MB',
    onStage: (event) => {
      if (event.status === 'start') {
        sampler.takePeak();
        return;
      }
      const seconds = (event.ms ?? 0) / 1000;
      const stageRows = rowsByStage[event.stage] ?? null;
      stages.push({
        stage: event.stage,
        seconds,
        rows: stageRows,
        rowsPerSecond: stageRows !== null && seconds > 0 ? Math.round(stageRows / seconds) : null,
        peakRssMiB: mib(sampler.takePeak()),
      });
      process.stderr.write(`  ${event.stage.padEnd(26)} ${seconds.toFixed(2).padStart(7)} s  peak ${mib(sampler.takePeak())} MiB\n`);
    },
  });
  const totalSeconds = (performance.now() - started) / 1000;
  sampler.stop();
  const peak = (await vmHwm()) ?? Math.max(...stages.map((s) => s.peakRssMiB)) * 1024 * 1024;
  const inputRows = (rows.orders ?? 0) + (rows.events ?? 0) + (rows.customers ?? 0);

  const report = {
    benchmark: 'refresh',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    lake: { path: lake, customers, seed, asOf, rows, formats: 'parquet, partitioned by day', generatedSeconds },
    refresh: {
      runId: result.runId,
      totalSeconds: Math.round(totalSeconds * 100) / 100,
      inputRowsPerSecond: Math.round(inputRows / totalSeconds),
      peakRssMiB: mib(peak),
      memoryLimit: values['memory-limit'],
      customersSegmented: result.quality.coverage.customers,
      stages,
    },
    targets: { totalSeconds: 30, peakRssMiB: 2048 },
  };
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/refresh-${customers}.json`;
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  await writeBenchmarksMd();

  process.stdout.write(
    [
      '',
      `Refresh of ${customers.toLocaleString('en-US')} customers (${(rows.orders ?? 0).toLocaleString('en-US')} orders, ${(rows.events ?? 0).toLocaleString('en-US')} events)`,
      `  total ${totalSeconds.toFixed(1)} s, ${report.refresh.inputRowsPerSecond.toLocaleString('en-US')} input rows/s, peak RSS ${mib(peak)} MiB`,
      `  targets: < 30 s, < 2048 MiB → ${totalSeconds < 30 ? 'time OK' : 'time MISSED'}, ${mib(peak) < 2048 ? 'memory OK' : 'memory MISSED'}`,
      `  written to ${file} and BENCHMARKS.md`,
      '',
    ].join('\n'),
  );
  await rm(out, { recursive: true, force: true });
}

/** BENCHMARKS.md is regenerated from every result file, so it always matches the JSON beside it. */
async function writeBenchmarksMd() {
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir('bench/results')).filter((f) => f.startsWith('refresh-') && f.endsWith('.json')).sort();
  const lines = ['# Benchmarks', '', 'Generated by `npm run bench` from `bench/results/*.json`; do not edit by hand.', ''];
  for (const f of files) {
    const r = JSON.parse(await readFile(path.join('bench/results', f), 'utf8'));
    lines.push(`## Refresh, ${r.lake.customers.toLocaleString('en-US')} customers`, '');
    lines.push(`Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.platform}; measured ${r.date.slice(0, 10)}.`);
    lines.push(`Lake: ${Object.entries(r.lake.rows).map(([t, n]) => `${t} ${(n as number).toLocaleString('en-US')}`).join(', ')} (${r.lake.formats}); DuckDB memory_limit ${r.refresh.memoryLimit}.`, '');
    lines.push(`**Total ${r.refresh.totalSeconds} s, ${r.refresh.inputRowsPerSecond.toLocaleString('en-US')} input rows/s, peak RSS ${r.refresh.peakRssMiB} MiB** (targets: < ${r.targets.totalSeconds} s, < ${r.targets.peakRssMiB} MiB).`, '');
    lines.push('| stage | wall s | rows | rows/s | peak RSS MiB |', '|---|---:|---:|---:|---:|');
    for (const s of r.refresh.stages) {
      lines.push(`| ${s.stage} | ${s.seconds.toFixed(2)} | ${s.rows?.toLocaleString('en-US') ?? ''} | ${s.rowsPerSecond?.toLocaleString('en-US') ?? ''} | ${s.peakRssMiB} |`);
    }
    lines.push('');
  }
  await writeFile('BENCHMARKS.md', `${lines.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack}\n`);
  process.exitCode = 1;
});
