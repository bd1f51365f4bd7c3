import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ManifestDocument, QualityDocument } from '../../shared/contracts/outputs.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import type { RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { readParquetRows } from '../helpers/outputs.ts';

/**
 * Same lake, same as-of date, same config, same run id and clock: the same results, byte for byte where the format
 * allows. Two runs go into two fresh output folders and every file is compared by sha256.
 */
const AS_OF = '2026-03-31';
const RUN_ID = '2026-03-31_20260401T020000Z_determ';
const CLOCK = () => new Date('2026-04-01T02:00:00.000Z');

let lake: string;

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

interface Run {
  readonly out: string;
  readonly result: RefreshResult;
  readonly files: string[];
  readonly hashes: Map<string, string>;
}

async function run(threads?: number): Promise<Run> {
  const out = await tempDir('determinism-out');
  const result = await refreshLocal({
    lakeDir: lake,
    outDir: out,
    asOf: AS_OF,
    config: defaultSegmentsConfig(),
    runId: RUN_ID,
    clock: CLOCK,
    ...(threads !== undefined ? { threads } : {}),
  });
  const files = await listFiles(out);
  const hashes = new Map<string, string>();
  for (const file of files) hashes.set(file, await sha256Of(path.join(out, file)));
  return { out, result, files, hashes };
}

function differing(a: Run, b: Run): string[] {
  return a.files.filter((f) => a.hashes.get(f) !== b.hashes.get(f));
}

beforeAll(async () => {
  lake = path.join(await tempDir('determinism-lake'), 'lake');
  await generateLake({ customers: 3_000, seed: 23, out: lake, asOf: AS_OF });
}, 60_000);

/**
 * The one thing two runs cannot share: quality.json records each query's measured wall_ms / engine_ms (telemetry, not
 * results), and manifest.json records quality.json's size and sha256. Those fields are blanked for the comparison;
 * every other byte of both files must still be equal.
 */
const TIMED = ['quality.json', 'manifest.json'].map((name) => `runs/${RUN_ID}/${name}`);

function withoutTimings(file: string, text: string): unknown {
  if (file.endsWith('/quality.json')) {
    const doc = JSON.parse(text) as QualityDocument;
    return { ...doc, queries: doc.queries.map((q) => ({ ...q, wall_ms: 0, engine_ms: 0 })) };
  }
  const doc = JSON.parse(text) as ManifestDocument;
  return { ...doc, files: doc.files.map((f) => (f.key.endsWith('/quality.json') ? { key: f.key } : f)) };
}

describe('determinism of a refresh', () => {
  it('writes the same files, byte for byte, into two fresh folders (only the query timings differ)', async () => {
    // Four DuckDB threads, as refreshLocal uses on a multi-core machine: parallel scans and aggregations must not
    // change row order or anything else in the Parquet files.
    const first = await run(4);
    const second = await run(4);

    expect(second.files).toEqual(first.files);
    expect(first.files).toContain('latest.json');
    expect(first.files.some((f) => f.startsWith('_lease'))).toBe(false);
    const byType = new Map<string, number>();
    for (const file of first.files) byType.set(path.extname(file), (byType.get(path.extname(file)) ?? 0) + 1);
    // JSON documents, JSON Lines tables, the CSV, the Markdown personas and the Parquet tables all take part.
    for (const ext of ['.json', '.jsonl', '.csv', '.md', '.parquet']) expect(byType.get(ext) ?? 0, ext).toBeGreaterThan(0);

    const diff = differing(first, second);
    const identical = first.files.filter((f) => !diff.includes(f));
    console.info(
      `determinism: ${first.files.length} files (${JSON.stringify(Object.fromEntries(byType))}); ` +
        `${identical.length} byte-identical; differing: ${JSON.stringify(diff)}`,
    );
    // Byte-identical: everything, Parquet included, but the two files carrying measured timings.
    expect(diff.filter((f) => !TIMED.includes(f))).toEqual([]);
    for (const file of first.files.filter((f) => f.endsWith('.parquet'))) expect(second.hashes.get(file), file).toBe(first.hashes.get(file));

    // And those two are equal too once the timings are blanked.
    for (const file of TIMED) {
      const a = await readFile(path.join(first.out, file), 'utf8');
      const b = await readFile(path.join(second.out, file), 'utf8');
      // As text, so the order of keys (say of rejected_by_reason) counts too.
      expect(JSON.stringify(withoutTimings(file, b)), file).toBe(JSON.stringify(withoutTimings(file, a)));
    }

    // The decoded segments agree as well (a check that does not depend on the Parquet writer).
    const part = `runs/${RUN_ID}/customer_segments/*.parquet`;
    const rowsA = await readParquetRows(path.join(first.out, part));
    const rowsB = await readParquetRows(path.join(second.out, part));
    expect(rowsA).toHaveLength(first.result.segments.customers);
    expect(rowsB).toEqual(rowsA);
    expect(second.result.segments).toEqual(first.result.segments);
  }, 120_000);
});
