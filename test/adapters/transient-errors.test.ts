import { createHash } from 'node:crypto';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  AthenaServiceException,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InternalServerException,
  InvalidRequestException,
  StartQueryExecutionCommand,
  TooManyRequestsException,
  type AthenaClient,
  type ResultSet,
} from '@aws-sdk/client-athena';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LatestPointer, ManifestDocument } from '../../shared/contracts/outputs.ts';
import { AthenaQueryEngine, type AthenaEngineOptions } from '../../shared/engines/athena.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { AthenaQueryError, QueryFailedError } from '../../shared/errors.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { silentLogger } from '../../shared/logging.ts';
import { S3_CLIENT_OPTIONS, S3_MAX_ATTEMPTS } from '../../shared/pipeline/aws.ts';
import { LATEST_KEY, refreshSegments, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { getJson } from '../../shared/stores/object-store.ts';
import { S3ObjectStore, S3StoreError } from '../../shared/stores/s3.ts';
import { seededRandom } from '../../shared/discovery/kmeans.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { readParquetRows } from '../helpers/outputs.ts';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts';
import { FakeAthena } from './athena-fake-client.ts';
import { MemoryStore, fakeTime } from './athena-fakes.ts';

/**
 * Transient faults of the two AWS services the nightly job talks to, injected at ~30 % of calls (deterministically,
 * from a seed): S3 through the SDK's own retry (the production client settings, on a real s3rver), Athena through
 * the engine's API retry (on the fake client, with instant sleep). Both must finish with the right results, and a
 * permanent error must fail fast, typed, naming where it happened.
 */

/** A stable hash in [0, 1): the fault decision for one attempt depends on the seed and the attempt only, not on timing. */
function unitHash(seed: string, ...parts: readonly (string | number)[]): number {
  return createHash('sha256').update([seed, ...parts].join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
}


/**
 * quality.json records each query's measured wall_ms / engine_ms, which no two runs share, and manifest.json records
 * quality.json's size and hash: those fields are blanked before comparing. Every other byte must be equal.
 */
function withoutTimings(key: string, bytes: Uint8Array): Uint8Array {
  if (key.endsWith('/quality.json')) {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { queries: { wall_ms?: number; engine_ms?: number }[] };
    for (const query of doc.queries) {
      query.wall_ms = 0;
      query.engine_ms = 0;
    }
    return Buffer.from(JSON.stringify(doc));
  }
  if (key.endsWith('/manifest.json')) {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as ManifestDocument;
    const files = doc.files.map((f) => (f.key.endsWith('/quality.json') ? { key: f.key } : f));
    return Buffer.from(JSON.stringify({ ...doc, files }));
  }
  return bytes;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------
// S3
// ---------------------------------------------------------------------------------------------------------------

const AS_OF = '2026-03-31';
const BUCKET = 'segments-faults';
/** One fixed run id and clock for the healthy and the faulty run, so their objects can be compared byte for byte. */
const RUN_ID = '2026-03-31_20260401T020000Z_fault1';
const CLOCK = () => new Date('2026-04-01T02:00:00.000Z');
const FAULT_RATE = 0.3;

interface FaultLog {
  /** Every attempt that reached the fault middleware (after the retry and signing middleware), by command. */
  readonly attempts: Map<string, number>;
  /** Attempts answered with an injected error instead of going to s3rver. */
  readonly injected: { command: string; key: string; attempt: number; code: string }[];
}

interface S3Fault {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const SLOW_DOWN: S3Fault = { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' };
const INTERNAL_ERROR: S3Fault = { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' };
const ACCESS_DENIED: S3Fault = { status: 403, code: 'AccessDenied', message: 'Access Denied' };

/**
 * Answers chosen attempts with an S3 error response instead of sending them. It sits in the deserialize step below
 * the deserializer, so the SDK parses the fake response exactly like one from S3 (a 503 becomes a SlowDown
 * exception with its status and request id) and the retry middleware, further out in finalizeRequest, sees it as
 * it would a real one — and every retry attempt, re-signed, passes through here again.
 */
function injectFaults(client: S3Client, choose: (command: string, key: string, attempt: number) => S3Fault | undefined): FaultLog {
  const log: FaultLog = { attempts: new Map(), injected: [] };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '?';
      const input = args.input as { Key?: string; Prefix?: string; ContinuationToken?: string };
      const key = input.Key ?? `${input.Prefix ?? ''}?${input.ContinuationToken ?? ''}`;
      const request = args.request as { headers?: Record<string, string> };
      // Set by the retry middleware on every attempt: "attempt=2; max=8".
      const attempt = Number(/attempt=(\d+)/.exec(request.headers?.['amz-sdk-request'] ?? '')?.[1] ?? '0');
      log.attempts.set(command, (log.attempts.get(command) ?? 0) + 1);
      const fault = choose(command, key, attempt);
      if (!fault) return next(args);
      log.injected.push({ command, key, attempt, code: fault.code });
      const requestId = `FAULT${String(log.injected.length).padStart(6, '0')}`;
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>${fault.message}</Message><RequestId>${requestId}</RequestId><HostId>injected</HostId></Error>`;
      // A plain object is what the SDK checks an HttpResponse for (numeric statusCode, headers object).
      const response = {
        statusCode: fault.status,
        reason: fault.code,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'x-amz-id-2': 'injected' },
        body: Buffer.from(command === 'HeadObjectCommand' ? '' : body, 'utf8'),
      };
      return { response, output: undefined as never };
    },
    { step: 'deserialize', priority: 'low', name: 'injectS3FaultsForTests' },
  );
  return log;
}

/** A client of the test server with the production retry settings, and the SDK's back-off shrunk to 1 ms. */
async function productionClient(server: S3TestServer): Promise<S3Client> {
  const client = server.client({ ...S3_CLIENT_OPTIONS });
  // The very strategy the SDK built from S3_CLIENT_OPTIONS (standard mode: retryable-error classification, attempt
  // limit, retry quota) — only its back-off is replaced, or the throttling base of 1 s would make this test slow.
  const strategy = (await client.config.retryStrategy()) as unknown as { mode?: string; retryBackoffStrategy?: { computeNextBackoffDelay(n: number): number } };
  expect(strategy.mode).toBe('standard');
  expect(await client.config.maxAttempts()).toBe(S3_MAX_ATTEMPTS);
  expect(strategy.retryBackoffStrategy).toBeDefined();
  strategy.retryBackoffStrategy!.computeNextBackoffDelay = () => 1;
  return client;
}

let lake: string;
let server: S3TestServer;
let healthyClient: S3Client;

async function publish(store: S3ObjectStore, runId = RUN_ID): Promise<RefreshResult> {
  // One DuckDB thread: the healthy and the faulty run must produce the same Parquet bytes.
  const engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
  try {
    return await refreshSegments(
      { engine, store, clock: CLOCK, log: silentLogger, toolVersion: 'test' },
      { asOf: AS_OF, config: defaultSegmentsConfig(), runId },
    );
  } finally {
    await engine.close();
  }
}

async function objectsOf(store: S3ObjectStore): Promise<Map<string, Uint8Array>> {
  const objects = new Map<string, Uint8Array>();
  for (const { key } of await store.list('')) objects.set(key, (await store.get(key))!);
  return objects;
}

describe('S3: transient faults under the production retry settings', () => {
  beforeAll(async () => {
    lake = path.join(await tempDir('faults-lake'), 'lake');
    await generateLake({ customers: 2_000, seed: 11, out: lake, asOf: AS_OF });
    server = await startS3Server([BUCKET]);
    healthyClient = await productionClient(server);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('publishes a whole run through ~30 % SlowDown / InternalError answers, identical to a run without faults', async () => {
    const healthyStore = new S3ObjectStore({ client: healthyClient, bucket: BUCKET, prefix: 'healthy/' });
    const healthyLog = injectFaults(healthyClient, () => undefined);
    const healthy = await publish(healthyStore);

    const faultyClient = await productionClient(server);
    const faults = injectFaults(faultyClient, (command, key, attempt) => {
      const u = unitHash('s3-faults-1', command, key, attempt);
      if (u >= FAULT_RATE) return undefined;
      return u < FAULT_RATE / 2 ? SLOW_DOWN : INTERNAL_ERROR;
    });
    const faultyStore = new S3ObjectStore({ client: faultyClient, bucket: BUCKET, prefix: 'faulty/' });
    const started = Date.now();
    const faulty = await publish(faultyStore);
    const elapsedMs = Date.now() - started;

    const attempts = [...faults.attempts.values()].reduce((a, b) => a + b, 0);
    const requests = [...healthyLog.attempts.values()].reduce((a, b) => a + b, 0);
    console.info(
      `S3 faults: ${faults.injected.length} injected (${faults.injected.filter((f) => f.code === 'SlowDown').length} SlowDown, ` +
        `${faults.injected.filter((f) => f.code === 'InternalError').length} InternalError) in ${attempts} attempts for ${requests} requests ` +
        `(healthy run), max attempt ${Math.max(...faults.injected.map((f) => f.attempt))}, ${elapsedMs} ms; by command ${JSON.stringify(Object.fromEntries(faults.attempts))}`,
    );

    // Enough faults to mean something, every one retried: each request took exactly one more attempt per fault.
    expect(faults.injected.length).toBeGreaterThan(20);
    expect(attempts).toBe(requests + faults.injected.length);
    expect(faults.injected.every((f) => f.attempt >= 1 && f.attempt < S3_MAX_ATTEMPTS)).toBe(true);
    expect(new Set(faults.injected.map((f) => f.command)).size).toBeGreaterThan(1);

    // The run completed and readers see it.
    expect(faulty.runId).toBe(RUN_ID);
    const latest = (await getJson<LatestPointer>(faultyStore, LATEST_KEY))!;
    expect(latest).toMatchObject({ run_id: RUN_ID, prefix: faulty.prefix, manifest: `${faulty.prefix}manifest.json` });

    // Every object intact: the same keys and the same bytes as the run that saw no fault.
    const expected = await objectsOf(healthyStore);
    const actual = await objectsOf(faultyStore);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    expect(actual.size).toBeGreaterThanOrEqual(8);
    for (const [key, bytes] of expected) {
      expect({ key, sha256: sha256(withoutTimings(key, actual.get(key)!)) }).toEqual({ key, sha256: sha256(withoutTimings(key, bytes)) });
    }
    const identical = [...expected].filter(([key, bytes]) => sha256(actual.get(key)!) === sha256(bytes)).map(([key]) => key);
    // Only the measured query timings (quality.json) and the manifest's size/hash of that file may differ.
    expect([...expected.keys()].filter((key) => !identical.includes(key)).every((key) => /\/(quality|manifest)\.json$/.test(key))).toBe(true);
    expect(healthy.prefix).toBe(faulty.prefix);

    // And the manifest vouches for what is there.
    const manifest = (await getJson<ManifestDocument>(faultyStore, latest.manifest))!;
    for (const file of manifest.files) {
      const bytes = actual.get(file.key);
      expect(bytes?.byteLength, file.key).toBe(file.bytes);
      if (file.sha256) expect(sha256(bytes!), file.key).toBe(file.sha256);
    }
    const part = [...actual.keys()].find((k) => k.startsWith(`${faulty.prefix}customer_segments/`))!;
    const local = path.join(await tempDir('faults-part'), 'part.parquet');
    await writeFile(local, actual.get(part)!);
    expect(await readParquetRows(local)).toHaveLength(faulty.segments.customers);
  }, 60_000);

  it('fails fast on 403 AccessDenied for every PutObject, typed, and leaves the published latest.json alone', async () => {
    const setupClient = await productionClient(server);
    const store = new S3ObjectStore({ client: setupClient, bucket: BUCKET, prefix: 'denied/' });
    const previous = await publish(store, '2026-03-30_20260331T020000Z_prev01');
    const latestBefore = await rawGet(setupClient, `denied/${LATEST_KEY}`);

    const deniedClient = await productionClient(server);
    const faults = injectFaults(deniedClient, (command) => (command === 'PutObjectCommand' ? ACCESS_DENIED : undefined));
    const denied = new S3ObjectStore({ client: deniedClient, bucket: BUCKET, prefix: 'denied/' });
    const started = Date.now();
    const error = await publish(denied).catch((e: unknown) => e);
    const elapsedMs = Date.now() - started;

    expect(error).toBeInstanceOf(S3StoreError);
    const s3Error = error as S3StoreError;
    expect(s3Error.operation).toBe('put');
    expect(s3Error.bucket).toBe(BUCKET);
    expect(s3Error.key).toMatch(new RegExp(`^denied/runs/${RUN_ID}/`));
    expect(s3Error.message).toContain(`S3 put of s3://${BUCKET}/${s3Error.key} failed: AccessDenied`);
    expect(s3Error.context).toMatchObject({ operation: 'put', bucket: BUCKET, key: s3Error.key, name: 'AccessDenied', status: 403 });
    expect(s3Error.context.request_id).toMatch(/^FAULT/);

    // No retries: each PutObject was tried once (the first output, then the _FAILED marker, which is denied too).
    const puts = faults.injected.filter((f) => f.command === 'PutObjectCommand');
    expect(puts.length).toBeGreaterThanOrEqual(1);
    expect(puts.length).toBeLessThanOrEqual(3);
    expect(puts.every((f) => f.attempt === 1)).toBe(true);
    expect(faults.attempts.get('PutObjectCommand')).toBe(puts.length);
    expect(elapsedMs).toBeLessThan(10_000);

    // The previous run is still what readers get, byte for byte.
    expect(Buffer.from(await rawGet(setupClient, `denied/${LATEST_KEY}`)).equals(Buffer.from(latestBefore))).toBe(true);
    expect((await getJson<LatestPointer>(store, LATEST_KEY))!.run_id).toBe(previous.runId);
    expect(await store.list(`runs/${RUN_ID}/`)).toEqual([]);
  }, 60_000);
});

async function rawGet(client: S3Client, key: string): Promise<Uint8Array> {
  const response = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return response.Body!.transformToByteArray();
}

// ---------------------------------------------------------------------------------------------------------------
// Athena
// ---------------------------------------------------------------------------------------------------------------

const ATHENA_RUN_ID = '2026-03-01_20260302T030000Z_abc123';
type AthenaOperation = 'StartQueryExecution' | 'GetQueryExecution' | 'GetQueryResults';

/** The three retryable errors, as Athena's API returns them (the last two are not modelled by the SDK client). */
const transientAthenaErrors: readonly (() => Error)[] = [
  () => new TooManyRequestsException({ $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded', Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED' }),
  () => new AthenaServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
  () => new InternalServerException({ $metadata: { httpStatusCode: 500 }, message: 'Internal service error' }),
];

function accessDenied(operation: AthenaOperation): Error {
  return new AthenaServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: `User: arn:aws:sts::123456789012:assumed-role/refresh/fn is not authorized to perform: athena:${operation} on resource: workgroup/segments-wg`,
  });
}

interface AthenaFaultLog {
  readonly calls: Record<AthenaOperation, number>;
  readonly injected: { operation: AthenaOperation; name: string }[];
}

/**
 * The fake Athena behind a client that answers chosen calls with an error instead: `choose` sees each call of the
 * three operations the engine retries, in order. (With instant sleep the call order is deterministic, so a seeded
 * PRNG gives the same faults on every run.)
 */
function faultyAthena(athena: FakeAthena, choose: (operation: AthenaOperation) => Error | undefined): { client: AthenaClient; log: AthenaFaultLog } {
  const log: AthenaFaultLog = { calls: { StartQueryExecution: 0, GetQueryExecution: 0, GetQueryResults: 0 }, injected: [] };
  const operationOf = (command: unknown): AthenaOperation | undefined =>
    command instanceof StartQueryExecutionCommand
      ? 'StartQueryExecution'
      : command instanceof GetQueryExecutionCommand
        ? 'GetQueryExecution'
        : command instanceof GetQueryResultsCommand
          ? 'GetQueryResults'
          : undefined;
  const client = {
    send: async (command: unknown) => {
      const operation = operationOf(command);
      if (operation) {
        log.calls[operation]++;
        const error = choose(operation);
        if (error) {
          log.injected.push({ operation, name: error.name });
          throw error;
        }
      }
      return (athena.client.send as (c: unknown) => Promise<unknown>)(command);
    },
  };
  return { client: client as unknown as AthenaClient, log };
}

/** Query i answers with i rows (i, label), in pages of at most 1000 rows like Athena, the header on the first. */
function resultPages(i: number): ResultSet[] {
  const rows = Array.from({ length: i * 60 }, (_, r) => ({ Data: [{ VarCharValue: String(r) }, { VarCharValue: `q${i}-r${r}` }] }));
  const header = { Data: [{ VarCharValue: 'n' }, { VarCharValue: 'label' }] };
  const all = [header, ...rows];
  const pages: ResultSet[] = [];
  for (let start = 0; start === 0 || start < all.length; start += 1000) {
    pages.push({
      ...(start === 0 ? { ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'integer' }, { Name: 'label', Type: 'varchar' }] } } : {}),
      Rows: all.slice(start, start + 1000),
    });
  }
  return pages;
}

function expectedRows(i: number): { n: number; label: string }[] {
  return Array.from({ length: i * 60 }, (_, r) => ({ n: r, label: `q${i}-r${r}` }));
}

describe('Athena: throttling and transient faults on the API calls', () => {
  let athena: FakeAthena;
  let time: ReturnType<typeof fakeTime>;

  beforeEach(() => {
    athena = new FakeAthena();
    time = fakeTime();
    // Each query walks QUEUED → RUNNING → SUCCEEDED (three polls), and answers with its own rows.
    athena.plan = () => [{ State: 'QUEUED' }, { State: 'RUNNING' }, { State: 'SUCCEEDED' }];
    athena.onStart = (input, queryId) => {
      const i = Number(/-- statement (\d+)/.exec(input.QueryString ?? '')?.[1] ?? '0');
      athena.results(queryId, resultPages(i));
    };
  });
  afterEach(() => athena.restore());

  function engine(client: AthenaClient, overrides: Partial<AthenaEngineOptions> = {}): AthenaQueryEngine {
    return new AthenaQueryEngine({
      client,
      workGroup: 'segments-wg',
      database: 'segments',
      runId: ATHENA_RUN_ID,
      lake: { store: new MemoryStore('s3://lake-bucket/lake/'), root: 's3://lake-bucket/lake/', formats: { orders: 'csv', customers: 'jsonl', events: 'parquet' }, partitioned: [] },
      scratch: new MemoryStore('s3://scratch-bucket/athena-scratch/run-1/'),
      now: time.now,
      sleep: time.sleep,
      random: seededRandom(99),
      // Production retry policy (DEFAULT_API_RETRY: 6 attempts) and concurrency (4 queries in flight); only time is fake.
      ...overrides,
    });
  }

  it('runs 40 queries and 3 materializations to the right results through ~30 % throttled or failing API calls', async () => {
    const random = seededRandom(20260302);
    const { client, log } = faultyAthena(athena, () => (random() < 0.3 ? transientAthenaErrors[Math.floor(random() * 3)]!() : undefined));
    const subject = engine(client);

    const queries = Array.from({ length: 40 }, (_, k) => k + 1);
    const [rows] = await Promise.all([
      Promise.all(queries.map((i) => subject.query(`step_${i}`, `-- statement ${i}\nSELECT n, label FROM t${i}`))),
      subject.materialize('features', 'customer_features', 'SELECT 1 AS x'),
      subject.materialize('segments', 'customer_segments', 'SELECT 2 AS x'),
      subject.materialize('preferences', 'customer_preferences', 'SELECT 3 AS x'),
    ]);

    const injected = log.injected.length;
    const byOperation = Object.fromEntries((['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults'] as const).map((op) => [op, log.injected.filter((f) => f.operation === op).length]));
    console.info(`Athena faults: ${injected} injected in ${Object.values(log.calls).reduce((a, b) => a + b, 0)} calls; ${JSON.stringify(byOperation)}; calls ${JSON.stringify(log.calls)}`);

    // Every statement gave its own, complete result: 60 × i rows over ⌈(60i + 1) / 1000⌉ pages.
    for (const i of queries) expect(rows[i - 1], `statement ${i}`).toEqual(expectedRows(i));
    // Each statement was started once (3 DROPs + 3 CTAS + 40 queries): retried starts reused the token.
    expect(athena.started).toHaveLength(46);
    expect(new Set(athena.started).size).toBe(46);
    // Faults hit all three operations and every one was retried: a call that got through per fault, plus the rest.
    expect(injected).toBeGreaterThan(40);
    for (const op of ['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults'] as const) expect(byOperation[op], op).toBeGreaterThan(5);
    expect(new Set(log.injected.map((f) => f.name))).toEqual(new Set(['TooManyRequestsException', 'ThrottlingException', 'InternalServerException']));
    expect(log.calls.StartQueryExecution).toBe(athena.startCalls.length + byOperation.StartQueryExecution!);
    expect(log.calls.GetQueryExecution).toBe(athena.describeCalls.length + byOperation.GetQueryExecution!);
    expect(log.calls.GetQueryResults).toBe(athena.resultCalls.length + byOperation.GetQueryResults!);
    expect(athena.stops).toEqual([]);
    // Retries waited with the API back-off (500 ms base), which the instant sleep only recorded.
    expect(time.state.sleeps.some((ms) => ms > 400)).toBe(true);
  });

  it.each<[AthenaOperation, () => Error]>([
    ['StartQueryExecution', () => accessDenied('StartQueryExecution')],
    ['GetQueryExecution', () => accessDenied('GetQueryExecution')],
    ['GetQueryResults', () => accessDenied('GetQueryResults')],
    ['StartQueryExecution', () => new InvalidRequestException({ $metadata: { httpStatusCode: 400 }, message: 'line 1:8: mismatched input' })],
  ])('fails fast on a permanent error of %s, typed and naming the step', async (operation, permanent) => {
    const { client, log } = faultyAthena(athena, (op) => (op === operation ? permanent() : undefined));
    const error = await engine(client).query('coverage', '-- statement 1\nSELECT n, label FROM t1').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(QueryFailedError);
    expect(error).not.toBeInstanceOf(AthenaQueryError);
    const failure = error as QueryFailedError;
    const name = permanent().name;
    expect(failure.context).toMatchObject({ step: 'coverage', operation, error: name });
    expect(failure.message).toContain(`Athena ${operation} failed in step "coverage": ${name}`);
    expect((failure.cause as Error).name).toBe(name);
    // Exactly one call of the failing operation, and no API back-off: the only waits are the polls' (one per poll).
    expect(log.calls[operation]).toBe(1);
    expect(log.injected).toHaveLength(1);
    expect(time.state.sleeps).toHaveLength(log.calls.GetQueryExecution);
    if (operation === 'StartQueryExecution') expect(athena.started).toEqual([]);
  });
});
