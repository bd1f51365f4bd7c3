import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeRefreshHandler, type RuntimeFactory } from '../../functions/refresh/handler.ts';
import { configHash, parseSegmentsConfigText } from '../../shared/contracts/config.ts';
import { LatestPointer } from '../../shared/contracts/outputs.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { ConfigError } from '../../shared/errors.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { scheduledRunId } from '../../shared/pipeline/scheduled-run.ts';
import { getJson, getText } from '../../shared/stores/object-store.ts';
import { S3ObjectStore } from '../../shared/stores/s3.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts';

/**
 * The refresh Lambda's handler, invoked as the scheduler invokes it, with DuckDB standing in for Athena and a
 * real S3-compatible server for S3: event and environment parsing, run identity, config from S3, publishing,
 * idempotent retries and structured logs, end to end.
 */
const AS_OF = '2026-03-31';
const SCHEDULED = '2026-04-01T01:30:00Z';
const CONFIG_PATH = new URL('../../shared/segments/default-segments.config.json', import.meta.url);

let server: S3TestServer;
let lake: string;
let engines = 0;

const environment = (overrides: Record<string, string> = {}) => () => ({
  LAKE_BUCKET: 'lake',
  LAKE_FORMATS: 'orders=csv,customers=csv,events=csv',
  LAKE_PARTITIONED_TABLES: 'orders,events',
  RESULTS_BUCKET: 'results',
  RESULTS_PREFIX: 'segments/',
  WORK_PREFIX: 'work/',
  ATHENA_WORKGROUP: 'segments',
  GLUE_DATABASE: 'customer_segments',
  CONFIG_BUCKET: 'config',
  CONFIG_KEY: 'segments.config.json',
  SCHEDULE_TIME_ZONE: 'Europe/Berlin',
  ...overrides,
});

const duckDbRuntime: RuntimeFactory = (env, log) => {
  const s3 = server.client();
  return {
    results: new S3ObjectStore({ client: s3, bucket: env.RESULTS_BUCKET, prefix: env.RESULTS_PREFIX }),
    clock: () => new Date(),
    log,
    toolVersion: 'test',
    async readConfig(bucket, key) {
      return getText(new S3ObjectStore({ client: s3, bucket }), key);
    },
    async engineFor() {
      engines += 1;
      return DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 });
    },
  };
};

const context = { getRemainingTimeInMillis: () => 900_000, awsRequestId: 'req-1' };

beforeAll(async () => {
  lake = path.join(await tempDir('lambda-lake'), 'lake');
  await generateLake({ customers: 1_200, seed: 11, out: lake, asOf: AS_OF });
  server = await startS3Server(['results', 'config']);
  await new S3ObjectStore({ client: server.client(), bucket: 'config' }).put('segments.config.json', await readFile(CONFIG_PATH), 'application/json');
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('the refresh Lambda handler', () => {
  it('runs the scheduled refresh and publishes the run to S3 with latest.json pointing at it, with JSON logs carrying the run id', async () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let outcome;
    try {
      outcome = await makeRefreshHandler(duckDbRuntime, environment())({ scheduledTime: SCHEDULED }, context);
    } finally {
      write.mockRestore();
    }

    // 03:30 in Berlin on 1 April: the last complete day is 31 March.
    const runId = scheduledRunId(AS_OF, new Date(SCHEDULED));
    expect(outcome).toMatchObject({ status: 'published', run_id: runId, as_of: AS_OF, prefix: `runs/${runId}/` });
    expect(outcome.customers).toBeGreaterThan(1_000);

    const results = new S3ObjectStore({ client: server.client(), bucket: 'results', prefix: 'segments/' });
    const latest = LatestPointer.parse(await getJson(results, 'latest.json'));
    expect(latest.run_id).toBe(runId);
    const keys = (await results.list(`runs/${runId}/`)).map((o) => o.key.slice(`runs/${runId}/`.length));
    expect(keys).toEqual(
      expect.arrayContaining(['segments.json', 'personas.json', 'quality.json', 'manifest.json', 'tables/segment_summary/part-00000.jsonl', 'tables/personas/part-00000.jsonl']),
    );
    expect(keys.some((k) => /^customer_segments\/.+\.parquet$/.test(k))).toBe(true);
    // The config that produced the run is the object on S3: its hash is in the provenance.
    const segments = await getJson<{ provenance: { config_hash: string; run_id: string } }>(results, `runs/${runId}/segments.json`);
    expect(segments?.provenance).toMatchObject({ run_id: runId, config_hash: configHash(parseSegmentsConfigText(await readFile(CONFIG_PATH, 'utf8'), 'default')) });

    const records = lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(3);
    const staged = records.filter((r) => r.message === 'stage finished');
    expect(staged.length).toBeGreaterThan(3);
    for (const record of staged) expect(record).toMatchObject({ run_id: runId, request_id: 'req-1', level: 'info' });
    expect(records.at(-1)).toMatchObject({ message: 'refresh finished', status: 'published', run_id: runId });
  }, 120_000);

  it('treats a retry of a published firing as done: no engine, no new objects', async () => {
    const results = new S3ObjectStore({ client: server.client(), bucket: 'results', prefix: 'segments/' });
    const before = await results.list('');
    const enginesBefore = engines;
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const outcome = await makeRefreshHandler(duckDbRuntime, environment())({ scheduledTime: SCHEDULED }, context);
      expect(outcome.status).toBe('already_published');
    } finally {
      write.mockRestore();
    }
    expect(engines).toBe(enginesBefore);
    expect(await results.list('')).toEqual(before);
  });

  it('resumes a run by its id as of the run’s own date, and is not stopped by a latest.json that does not parse', async () => {
    const results = new S3ObjectStore({ client: server.client(), bucket: 'results', prefix: 'resume/' });
    await results.put('latest.json', '{"run_id": ', 'application/json');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let outcome;
    try {
      outcome = await makeRefreshHandler(duckDbRuntime, environment({ RESULTS_PREFIX: 'resume/' }))({ runId: `${AS_OF}_manual` }, context);
    } finally {
      write.mockRestore();
    }
    expect(outcome).toMatchObject({ status: 'published', run_id: `${AS_OF}_manual`, as_of: AS_OF });
    expect(LatestPointer.parse(await getJson(results, 'latest.json'))).toMatchObject({ run_id: `${AS_OF}_manual`, as_of: AS_OF });
  }, 120_000);

  it('fails with the bad field named, before any engine starts, on a bad event, environment or config object', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const enginesBefore = engines;
    try {
      await expect(makeRefreshHandler(duckDbRuntime, environment())({ asOf: '2026-02-30' }, context)).rejects.toThrow(/invalid event: asOf/);
      await expect(makeRefreshHandler(duckDbRuntime, environment({ LAKE_FORMATS: 'orders=xml' }))({}, context)).rejects.toThrow(/invalid environment: LAKE_FORMATS/);
      await expect(makeRefreshHandler(duckDbRuntime, environment())({ asOf: '2026-03-30', runId: `${AS_OF}_manual` }, context)).rejects.toThrow(`but that run is as of ${AS_OF}`);
      const missing = makeRefreshHandler(duckDbRuntime, environment({ CONFIG_KEY: 'nope.json' }))({ asOf: AS_OF }, context);
      await expect(missing).rejects.toBeInstanceOf(ConfigError);
      await expect(missing).rejects.toThrow('s3://config/nope.json');
    } finally {
      write.mockRestore();
    }
    expect(engines).toBe(enginesBefore);
  });
});
