import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LatestPointer } from '../../shared/contracts/outputs.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { silentLogger } from '../../shared/logging.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { refreshSegments } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { LocalObjectStore } from '../../shared/stores/local.ts';
import { refreshOnDuckDb, tempDir } from '../helpers/duckdb.ts';
import { readJson } from '../helpers/outputs.ts';

/** latest.json must only ever point at a complete run; a failure mid-run leaves the last good run published. */
const AS_OF = '2026-03-31';
let lake: string;

beforeAll(async () => {
  lake = path.join(await tempDir('safety-lake'), 'lake');
  await generateLake({ customers: 1_500, seed: 3, out: lake, asOf: AS_OF });
});

async function failingRun(out: string, fail: { store?: (key: string) => boolean; engine?: (step: string) => boolean }) {
  const store = new LocalObjectStore(out);
  const put = store.put.bind(store);
  store.put = async (key: string, body: string | Uint8Array, type?: string) => {
    if (fail.store?.(key)) throw new Error(`simulated write failure on ${key}`);
    return put(key, body, type ?? 'application/octet-stream');
  };
  return refreshOnDuckDb(lake, store, AS_OF, fail.engine);
}

describe('publishing', () => {
  it.each([
    ['a query fails mid-run', { engine: (step: string) => step === 'segments' }],
    ['writing personas.json fails', { store: (key: string) => key.endsWith('personas.json') }],
    ['writing latest.json itself fails', { store: (key: string) => key === 'latest.json' }],
  ])('keeps the previous run published when %s', async (_name, fail) => {
    const out = await tempDir('safety-out');
    const good = await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF });
    const before = await readJson<LatestPointer>(path.join(out, 'latest.json'));
    expect(before.run_id).toBe(good.runId);

    await expect(failingRun(out, fail)).rejects.toThrow(/simulated/);

    const after = await readJson<LatestPointer>(path.join(out, 'latest.json'));
    expect(after).toEqual(before);
    // The previous run's files are untouched and complete.
    const files = await readdir(path.join(out, good.prefix));
    expect(files).toEqual(expect.arrayContaining(['manifest.json', 'segments.json', 'personas.json', 'quality.json', 'customer_segments']));
    // The failed run is marked for the operator; readers never reach it because latest.json does not name it.
    const runs = (await readdir(path.join(out, 'runs'))).filter((r) => r !== before.run_id);
    expect(runs).toHaveLength(1);
    const failed = await readdir(path.join(out, 'runs', runs[0]!));
    expect(failed).toContain('_FAILED.json');
  });

  it('writes latest.json last, after the manifest that lists every file of the run', async () => {
    const out = await tempDir('safety-order');
    const engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 });
    const store = new LocalObjectStore(out);
    const order: string[] = [];
    const put = store.put.bind(store);
    store.put = async (key: string, body: string | Uint8Array, type?: string) => {
      order.push(key);
      return put(key, body, type ?? 'application/octet-stream');
    };
    try {
      const result = await refreshSegments(
        { engine, store, clock: () => new Date(), log: silentLogger, toolVersion: 'test' },
        { asOf: AS_OF, config: defaultSegmentsConfig() },
      );
      expect(order.at(-1)).toBe('latest.json');
      expect(order.at(-2)).toBe(`${result.prefix}manifest.json`);
      const keys = result.files.map((f) => f.key);
      expect(keys).toEqual(expect.arrayContaining([`${result.prefix}segments.json`, `${result.prefix}personas.json`, `${result.prefix}quality.json`]));
      expect(keys.some((k) => k.startsWith(`${result.prefix}customer_segments/`))).toBe(true);
    } finally {
      await engine.close();
    }
  });
});
