#!/usr/bin/env node
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EngineOutOfMemoryError, SegmentsError, describeError } from '../errors.ts';
import { GenerateOptionsError, LakeExistsError } from '../generate/errors.ts';
import { generateLake } from '../generate/generate-lake.ts';
import { createLogger, jsonLinesSink, type Logger } from '../logging.ts';
import { DEFAULT_MEMORY_LIMIT, refreshLocal } from '../pipeline/local.ts';
import type { StageEvent } from '../pipeline/refresh.ts';
import { isValidIsoDate } from '../sql/literals.ts';
import { addDays, utcDate } from '../time.ts';
import { TOOL_VERSION } from '../version.ts';
import { writeJsonSchemas } from './schemas.ts';
import { renderSummary } from './summary.ts';

/** Exit codes: 0 success, 1 failure, 2 usage, 3 bad input or config, 4 quality gate refused to publish, 5 another refresh is running. */
export const EXIT = { ok: 0, failure: 1, usage: 2, badInput: 3, qualityGate: 4, alreadyRunning: 5 } as const;

const DEFAULT_LAKE = '.data/sample-lake';
const DEFAULT_OUT = '.data/out';
const SAMPLE_CUSTOMERS = 20_000;
const SAMPLE_SEED = 42;

const HELP = `segments ${TOOL_VERSION} — customer segments and personas, Athena SQL run locally on DuckDB

Usage:
  segments refresh [--lake DIR] [--out DIR] [--as-of YYYY-MM-DD] [--config FILE] [--full] [--memory-limit SIZE] [--json-logs]
      Runs the nightly refresh. Without --lake it uses (and if needed generates) the sample lake
      ${DEFAULT_LAKE}; results go to --out (default ${DEFAULT_OUT}). --as-of defaults to today (UTC).
      A run continues the feature state of the last complete run in --out and reads only newer partitions;
      --full recomputes from the whole history, as a run also does when that state is missing or too old, the
      currency config changed, or the periodic full recompute is due. --json-logs writes structured JSON log
      lines to stderr instead of the progress lines.
      --memory-limit is DuckDB's buffer (default ${DEFAULT_MEMORY_LIMIT}; about 2.5GB for 3 million customers).
  segments generate --out DIR [--customers N] [--seed S] [--as-of YYYY-MM-DD] [--days D] [--format csv|jsonl|parquet]
                    [--bad-row-share X] [--overwrite]
      Writes a seeded synthetic lake (customers, orders, events with planted archetypes and bad rows) with data
      up to the day before --as-of. --bad-row-share is the share of rows made bad on purpose (default 0.005);
      --overwrite replaces the lake in a folder that is not empty.
  segments schemas [--out DIR]
      Writes the JSON Schemas of the input tables, the config and every output.

Exit codes: 0 ok · 1 failure · 2 usage error · 3 bad input or config · 4 quality gate refused to publish ·
5 another refresh is running for the same --out
Progress goes to stderr, the summary to stdout.`;

class UsageError extends Error {}

/** --as-of as given (a real calendar day), or today in UTC. */
function asOfOption(value: string | undefined): string {
  if (value === undefined) return utcDate(new Date());
  if (!isValidIsoDate(value)) throw new UsageError(`--as-of ${value}: expected a calendar date as YYYY-MM-DD`);
  return value;
}

/** A progress event's details as the progress lines show them: "read 5,155, accepted 5,127". */
const detailText = (detail: Record<string, unknown>) =>
  Object.entries(detail)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : String(v)}`)
    .join(', ');

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // Every command's options are in the one help text.
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${HELP}\n`);
      return EXIT.ok;
    }
    switch (command) {
      case 'refresh':
        return await refreshCommand(rest);
      case 'generate':
        return await generateCommand(rest);
      case 'schemas':
        return await schemasCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`segments: ${(error as Error).message}\nRun "segments --help" for usage.\n`);
      return EXIT.usage;
    }
    const described = describeError(error);
    process.stderr.write(`\n✗ ${described.name}: ${described.message}\n`);
    if (error instanceof EngineOutOfMemoryError) {
      process.stderr.write(`  latest.json still points at the last complete run. Run again with a larger --memory-limit (${DEFAULT_MEMORY_LIMIT} suits about a million customers, 2.5GB three million).\n`);
    }
    if (error instanceof SegmentsError) return error.exitCode;
    if (process.env.SEGMENTS_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return EXIT.failure;
  }
}

function stderrLogger(json: boolean): Logger {
  if (json) return createLogger(jsonLinesSink((line) => process.stderr.write(line)));
  return createLogger((record) => {
    if (record.level === 'warn' || record.level === 'error') process.stderr.write(`  ${record.level}: ${record.message}\n`);
  });
}

function progressPrinter(json: boolean): (event: StageEvent) => void {
  if (json) return () => {};
  return (event) => {
    if (event.status === 'start') {
      process.stderr.write(`▸ ${event.stage} …`);
      return;
    }
    const detail = detailText(event.detail ?? {});
    process.stderr.write(` ${((event.ms ?? 0) / 1000).toFixed(2)} s${detail ? `  (${detail})` : ''}\n`);
  };
}

async function refreshCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      lake: { type: 'string' },
      out: { type: 'string', default: DEFAULT_OUT },
      'as-of': { type: 'string' },
      config: { type: 'string' },
      full: { type: 'boolean', default: false },
      'memory-limit': { type: 'string' },
      'json-logs': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const json = values['json-logs'] ?? false;
  const asOf = asOfOption(values['as-of']);
  let lake = values.lake;
  // A regenerated sample lake is a different lake: yesterday's state does not describe it.
  let regenerated = false;
  if (!lake) {
    lake = DEFAULT_LAKE;
    regenerated = await ensureSampleLake(lake, asOf, json);
  }
  if (!existsSync(lake)) throw new UsageError(`lake folder ${lake} does not exist`);
  if (existsSync(values.out) && !statSync(values.out).isDirectory()) throw new UsageError(`--out ${values.out} is a file, not a folder`);
  const memoryLimit = values['memory-limit'];
  // Checked here so a typo is a usage error, not a DuckDB error halfway into the run.
  if (memoryLimit !== undefined && !/^\d+(\.\d+)?\s*(MB|GB|MiB|GiB)$/i.test(memoryLimit)) {
    throw new UsageError(`--memory-limit ${memoryLimit}: expected a size such as 1400MB or 2.5GB`);
  }
  const started = performance.now();
  const result = await refreshLocal({
    lakeDir: lake,
    outDir: values.out ?? DEFAULT_OUT,
    asOf,
    ...(values.config ? { configPath: values.config } : {}),
    full: regenerated ? 'a new sample lake was generated, so no earlier feature state describes it' : (values.full ?? false),
    ...(memoryLimit ? { memoryLimit } : {}),
    log: stderrLogger(json),
    onStage: progressPrinter(json),
  });
  process.stdout.write(renderSummary(result, values.out ?? DEFAULT_OUT, (performance.now() - started) / 1000));
  return EXIT.ok;
}

/**
 * The sample lake is regenerated when it is missing or its data ends too long before the as-of date, so that
 * `npm start` on any day runs on fresh data instead of failing the freshness gate.
 */
async function ensureSampleLake(lake: string, asOf: string, json: boolean): Promise<boolean> {
  const metaFile = path.join(lake, '_meta', 'generator.json');
  if (existsSync(metaFile)) {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as { options?: { asOf?: string } };
    if (meta.options?.asOf === asOf) return false;
  } else if (existsSync(lake)) {
    return false; // a lake the user put there: never overwrite it
  }
  if (!json) process.stderr.write(`▸ generating a sample lake of ${SAMPLE_CUSTOMERS.toLocaleString('en-US')} customers in ${lake} (seed ${SAMPLE_SEED}, data up to ${addDays(asOf, -1)}) …`);
  const started = performance.now();
  const report = await generateLake({ customers: SAMPLE_CUSTOMERS, seed: SAMPLE_SEED, out: lake, asOf, overwrite: true });
  if (!json) {
    process.stderr.write(
      ` ${((performance.now() - started) / 1000).toFixed(2)} s  (orders ${report.rows.orders.toLocaleString('en-US')}, events ${report.rows.events.toLocaleString('en-US')})\n`,
    );
  }
  return true;
}

async function generateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      customers: { type: 'string', default: String(SAMPLE_CUSTOMERS) },
      seed: { type: 'string', default: String(SAMPLE_SEED) },
      'as-of': { type: 'string' },
      days: { type: 'string', default: '365' },
      format: { type: 'string' },
      'bad-row-share': { type: 'string' },
      overwrite: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.out) throw new UsageError('generate needs --out DIR');
  const int = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got "${v}"`);
    return n;
  };
  const format = values.format;
  if (format && !['csv', 'jsonl', 'parquet'].includes(format)) throw new UsageError(`--format must be csv, jsonl or parquet`);
  const fmt = format as 'csv' | 'jsonl' | 'parquet' | undefined;
  const started = performance.now();
  const report = await generateLake({
    customers: int('customers', values.customers),
    seed: int('seed', values.seed),
    out: values.out,
    asOf: asOfOption(values['as-of']),
    days: int('days', values.days),
    overwrite: values.overwrite ?? false,
    ...(fmt ? { formats: { customers: fmt, orders: fmt, events: fmt } } : {}),
    ...(values['bad-row-share'] !== undefined ? { badRowShare: Number(values['bad-row-share']) } : {}),
    onProgress: (stage, detail) => {
      const shown = detailText(detail);
      process.stderr.write(`▸ ${stage}${shown ? `  (${shown})` : ''}\n`);
    },
  }).catch((error: unknown) => {
    // Options the generator refuses are the caller's to fix, like a mistyped flag.
    if (error instanceof GenerateOptionsError) throw new UsageError(error.message);
    if (error instanceof LakeExistsError) throw new UsageError(`--out ${values.out} exists and is not empty; pass --overwrite to replace the lake in it`);
    throw error;
  });
  process.stdout.write(
    `Generated ${values.out} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${Object.entries(report.rows).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')}\n`,
  );
  return EXIT.ok;
}

async function schemasCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string', default: 'schemas' } }, strict: true });
  const out = values.out ?? 'schemas';
  await mkdir(out, { recursive: true });
  const written = await writeJsonSchemas(async (name, text) => writeFile(path.join(out, name), text));
  process.stdout.write(`Wrote ${written.length} schemas to ${out}/\n`);
  return EXIT.ok;
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
