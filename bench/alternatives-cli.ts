/**
 * The limit query and the two alternatives on their own, without a refresh, printed as JSON on stdout:
 *
 *   npx tsx bench/alternatives-cli.ts --lake .data/bench-100k [--as-of 2026-06-30] [--threads 2]
 *     [--memory-limit 1536MB] [--only limit,per-segment,row-by-row]
 *
 * The as-of date defaults to the one the lake was generated for (_meta/generator.json). Steps run one after the
 * other in this process, each on a fresh DuckDB, after one read of every file to warm the page cache; run it on
 * an otherwise quiet machine.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runPerSegmentQueries, runRowByRow } from './alternatives.ts';
import { runLimit } from './limit-query.ts';
import { TABLE_NAMES } from '../shared/contracts/lake.ts';
import { neededBytesByTable, tableParquetFiles } from './parquet-bytes.ts';

const STEPS = ['limit', 'per-segment', 'row-by-row'] as const;

async function generatedAsOf(lake: string): Promise<string | undefined> {
  const text = await readFile(path.join(lake, '_meta', 'generator.json'), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as { options?: { asOf?: string } }).options?.asOf : undefined;
}

/**
 * Reads every Parquet file once and discards it, so whichever step runs first does not also pay for the disk
 * (in `npm run bench` the refresh has read the lake before these steps run).
 */
async function warmFileCache(lake: string): Promise<void> {
  for (const table of TABLE_NAMES) for (const file of await tableParquetFiles(lake, table)) await readFile(file.path);
}

const mib = (bytes: number | undefined) => (bytes === undefined ? null : Math.round(bytes / 1024 / 1024));
const seconds = (ms: number) => Math.round(ms) / 1000;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      lake: { type: 'string' },
      'as-of': { type: 'string' },
      threads: { type: 'string', default: '2' },
      'memory-limit': { type: 'string', default: '1536MB' },
      only: { type: 'string', default: STEPS.join(',') },
    },
  });
  const lake = values.lake;
  const asOf = values['as-of'] ?? (lake ? await generatedAsOf(lake) : undefined);
  const only = (values.only ?? '').split(',').map((s) => s.trim());
  const unknown = only.filter((s) => !(STEPS as readonly string[]).includes(s));
  if (!lake || !asOf || unknown.length > 0) {
    process.stderr.write(
      `usage: alternatives-cli --lake DIR [--as-of YYYY-MM-DD] [--threads N] [--memory-limit 1536MB] [--only ${STEPS.join(',')}]\n` +
        (lake && !asOf ? `${lake} has no _meta/generator.json: pass --as-of\n` : '') +
        (unknown.length > 0 ? `unknown steps: ${unknown.join(', ')}\n` : ''),
    );
    return 2;
  }
  const options = { threads: Number(values.threads), memoryLimit: values['memory-limit'], asOf };
  await warmFileCache(lake);
  const needed = await neededBytesByTable(lake);
  const report: Record<string, unknown> = {
    lake,
    asOf,
    threads: options.threads,
    memoryLimit: options.memoryLimit,
    neededBytes: Object.fromEntries(Object.entries(needed).map(([t, b]) => [t, { needed: b.neededBytes, files: b.fileBytes, fileCount: b.files }])),
  };
  let limitMs: number | undefined;
  if (only.includes('limit')) {
    process.stderr.write('limit query …\n');
    const limit = await runLimit(lake, options);
    limitMs = limit.ms;
    report.limit = { seconds: seconds(limit.ms), runsSeconds: limit.runsMs.map(seconds), peakRssMiB: mib(limit.peakRssBytes), bytes: limit.bytes, bytesByTable: limit.bytesByTable, customers: limit.customers };
  }
  if (only.includes('per-segment')) {
    process.stderr.write('one query per segment …\n');
    const perSegment = await runPerSegmentQueries(lake, options);
    report.perSegment = {
      seconds: seconds(perSegment.ms),
      peakRssMiB: mib(perSegment.peakRssBytes),
      queries: perSegment.queries,
      bytes: perSegment.bytes,
      ...(limitMs ? { timeVsLimit: Number((perSegment.ms / limitMs).toFixed(2)) } : {}),
      perQuery: perSegment.perQuery.map((q) => ({ ...q, ms: Math.round(q.ms) })),
    };
  }
  if (only.includes('row-by-row')) {
    process.stderr.write('row by row in TypeScript …\n');
    const rowByRow = await runRowByRow(lake, options);
    report.rowByRow = {
      seconds: seconds(rowByRow.ms),
      peakRssMiB: mib(rowByRow.peakRssBytes),
      rows: rowByRow.rows,
      rowsPerSecond: Math.round(Object.values(rowByRow.rows).reduce((a, b) => a + b, 0) / (rowByRow.ms / 1000)),
      customers: rowByRow.customers,
      rfmSegments: rowByRow.rfmSegments,
      lifecycleStages: rowByRow.lifecycleStages,
      ...(limitMs ? { timeVsLimit: Number((rowByRow.ms / limitMs).toFixed(2)) } : {}),
    };
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
