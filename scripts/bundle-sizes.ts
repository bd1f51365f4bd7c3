/**
 * Bundles every Lambda handler (functions/<name>/handler.ts) exactly as the CDK stack does (infra/bundling.ts)
 * and prints each bundle's size and what it is made of, so a dependency that bloats a cold start is noticed
 * before it is deployed. It also times a cold import of each bundle (scripts/handler-import-time.ts: a fresh
 * `node` per run, no AWS settings, no network; median and max of --runs) and prints the memory the stack gives
 * the function. Goals: under 1,000,000 bytes and under 300 ms.
 *
 *   npm run bundle-sizes [-- --top 20] [--runs 5] [--json bench/results/lambda.json]
 *
 * The figures (sizes, import times, Node version, CPU, memory size, date) are always written as JSON, to
 * bench/results/lambda.json unless --json names another file. A benchmark, not a test: the import time depends
 * on the machine and its load, so read it on a quiet one; the bundle test checks the size and a clean import.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { handlerEsbuildOptions } from '../infra/bundling.ts';
import { REFRESH_ENTRY } from '../infra/refresh-function.ts';
import { PROJECT_ROOT, REFRESH_DEFAULTS } from '../infra/refresh-settings.ts';
import { timeImport } from './handler-import-time.ts';

const KiB = 1024;
const fmt = (bytes: number) => `${bytes.toLocaleString('en-US')} B (${(bytes / KiB).toFixed(1)} KiB)`;
export const GOAL_BYTES = 1_000_000;
export const GOAL_IMPORT_MS = 300;

/** The memory each stack gives a function, by handler entry (the default; `cdk -c lambdaMemoryMb=…` overrides). */
const MEMORY_MB = new Map<string, number>([[REFRESH_ENTRY, REFRESH_DEFAULTS.lambdaMemoryMb]]);

/** The package a bundled input belongs to (`@aws-sdk/client-s3`, `zod`), or the project for its own files. */
export function packageOf(input: string): string {
  const parts = input.split('node_modules/');
  if (parts.length === 1) return '(project) ' + (input.split('/').slice(0, 2).join('/') || input);
  const rest = parts.at(-1)!.split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

export interface BundleReport {
  readonly handler: string;
  /** The bundle, in the outdir given to measureHandler. */
  readonly outfile: string;
  readonly bytes: number;
  readonly packages: readonly { readonly name: string; readonly bytes: number }[];
  /** Every input in the bundle with its bytes in the output, largest first. */
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
  /** Packages imported but left out of the bundle (NEVER_BUNDLED ones): must be none on a handler's path. */
  readonly externalImports: readonly string[];
}

export async function measureHandler(entry: string, outdir: string): Promise<BundleReport> {
  const outfile = path.join(outdir, `${path.basename(path.dirname(entry))}.mjs`);
  const result = await build(handlerEsbuildOptions(entry, outfile));
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.mjs'))![1];
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
  const bySize = (a: { bytes: number }, b: { bytes: number }) => b.bytes - a.bytes;
  // Node's built-ins are external by nature ('<runtime>' is esbuild's own helper); anything else is a package
  // the bundle expects to find at run time.
  const externalImports = Object.values(result.metafile.inputs)
    .flatMap((input) => input.imports.filter((i) => i.external && !isBuiltin(i.path) && i.path !== '<runtime>').map((i) => i.path))
    .filter((name, index, all) => all.indexOf(name) === index);
  return {
    handler: path.relative(PROJECT_ROOT, entry),
    outfile,
    bytes: statSync(outfile).size,
    packages: [...byPackage].map(([name, bytes]) => ({ name, bytes })).sort(bySize),
    files: Object.entries(output.inputs).map(([name, { bytesInOutput }]) => ({ name, bytes: bytesInOutput })).sort(bySize),
    externalImports,
  };
}

export function handlerEntries(root = PROJECT_ROOT): string[] {
  const functions = path.join(root, 'functions');
  return readdirSync(functions, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(functions, d.name, 'handler.ts'))
    .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      top: { type: 'string', default: '12' },
      runs: { type: 'string', default: '5' },
      json: { type: 'string', default: path.join(PROJECT_ROOT, 'bench/results/lambda.json') },
    },
  });
  const top = Number(values.top);
  const runs = Number(values.runs);
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'bundle-sizes-'));
  const handlers = [];
  try {
    for (const entry of handlerEntries()) {
      const report = await measureHandler(entry, outdir);
      const timing = timeImport(report.outfile, runs);
      const memoryMb = MEMORY_MB.get(entry) ?? null;
      console.log(`${report.handler}: ${fmt(report.bytes)}${report.bytes < GOAL_BYTES ? '' : `  OVER the ${GOAL_BYTES.toLocaleString('en-US')} B goal`}`);
      console.log(
        ` cold import (fresh node ${process.version}, ${runs} runs): median ${timing.medianMs.toFixed(1)} ms, max ${timing.maxMs.toFixed(1)} ms` +
          ` (CPU ${timing.medianCpuMs.toFixed(1)} ms)` +
          `${timing.maxMs < GOAL_IMPORT_MS ? '' : `  OVER the ${GOAL_IMPORT_MS} ms goal`}; process peak RSS ${timing.peakRssMiB.toFixed(1)} MiB`,
      );
      console.log(` Lambda memory: ${memoryMb === null ? 'not set by a stack' : `${memoryMb} MB (infra/refresh-settings.ts)`}`);
      handlers.push({
        handler: report.handler,
        bytes: report.bytes,
        import_ms_median: round(timing.medianMs),
        import_ms_max: round(timing.maxMs),
        import_ms: timing.ms.map(round),
        import_cpu_ms_median: round(timing.medianCpuMs),
        import_peak_rss_mib: round(timing.peakRssMiB),
        memory_mb: memoryMb,
      });
      const line = ({ name, bytes }: { name: string; bytes: number }) =>
        console.log(`  ${(((bytes / report.bytes) * 100).toFixed(1) + '%').padStart(6)}  ${fmt(bytes).padEnd(26)} ${name}`);
      console.log(' by package:');
      report.packages.slice(0, top).forEach(line);
      console.log(' largest files:');
      report.files.slice(0, Math.min(top, 8)).forEach(line);
      if (report.externalImports.length > 0) {
        // Lambda has none of them (DuckDB in particular is never deployed): the handler would fail to load.
        console.log(`  ERROR: imports left out of the bundle: ${report.externalImports.join(', ')}`);
        process.exitCode = 1;
      }
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  const cpus = os.cpus();
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpu_model: cpus[0]?.model ?? 'unknown', cores: cpus.length, platform: `${os.platform()} ${os.arch()}` },
    // The import times mean little on a busy machine: the 1-minute load average when the runs ended.
    load_average_1m: round(os.loadavg()[0] ?? 0),
    runs,
    method: 'each run a fresh node process importing the bundle; wall ms from before import() to after it, Node startup excluded; CPU ms over the same span, all threads',
    goals: { bytes: GOAL_BYTES, import_ms: GOAL_IMPORT_MS },
    handlers,
  };
  mkdirSync(path.dirname(values.json), { recursive: true });
  writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`figures written to ${path.relative(process.cwd(), values.json) || values.json}`);
}

const round = (ms: number) => Math.round(ms * 10) / 10;

if (import.meta.url === `file://${process.argv[1]}`) await main();
