import { InvalidRequestException, TooManyRequestsException } from '@aws-sdk/client-athena';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { athenaEmptyRelationSql, athenaRawRelationSql } from '../../shared/engines/athena-lake.ts';
import {
  AthenaQueryEngine,
  clientRequestToken,
  ctasStatement,
  dropTableStatement,
  journalKey,
  unloadStatement,
  type AthenaEngineOptions,
} from '../../shared/engines/athena.ts';
import type { TableName } from '../../shared/contracts/lake.ts';
import { memoryJournal } from '../../shared/engines/query-journal.ts';
import { AthenaQueryError, InputError, QueryDeadlineError, QueryFailedError } from '../../shared/errors.ts';
import { FakeAthena } from './athena-fake-client.ts';
import { MemoryStore, fakeTime } from './athena-fakes.ts';

const RUN_ID = '2026-03-01_20260302T030000Z_abc123';
const TABLE_PREFIX = 'run_2026_03_01_20260302t030000z_abc123';

let athena: FakeAthena;
let time: ReturnType<typeof fakeTime>;
let scratch: MemoryStore;
let lake: MemoryStore;

beforeEach(() => {
  athena = new FakeAthena();
  time = fakeTime();
  scratch = new MemoryStore('s3://scratch-bucket/athena-scratch/run-1/');
  lake = new MemoryStore('s3://lake-bucket/lake/').add('orders/part-0.csv', 100);
});
afterEach(() => athena.restore());

/** The lake as the stack would declare it; by default no table has the dt partition. */
function lakeOptions(partitioned: readonly TableName[] = []): AthenaEngineOptions['lake'] {
  return { store: lake, root: 's3://lake-bucket/lake/', formats: { orders: 'csv', customers: 'jsonl', events: 'parquet' }, partitioned };
}

function engine(overrides: Partial<AthenaEngineOptions> = {}): AthenaQueryEngine {
  return new AthenaQueryEngine({
    client: athena.client,
    workGroup: 'segments-wg',
    database: 'segments',
    runId: RUN_ID,
    lake: lakeOptions(),
    scratch,
    now: time.now,
    sleep: time.sleep,
    random: () => 0.5,
    poll: { initialMs: 100, maxMs: 400, factor: 2 },
    apiRetry: { attempts: 4, initialMs: 1000, maxMs: 8000, factor: 2 },
    ...overrides,
  });
}

const throttled = () => new TooManyRequestsException({ $metadata: {}, message: 'Rate exceeded' });

describe('AthenaQueryEngine: starting statements', () => {
  it('sends the SQL with workgroup, database, catalog and a deterministic token, and no result configuration', async () => {
    const sql = 'SELECT count(*) AS n FROM t';
    await engine().query('coverage', sql);
    expect(athena.startCalls).toHaveLength(1);
    const input = athena.startCalls[0]!;
    expect(input).toEqual({
      QueryString: sql,
      WorkGroup: 'segments-wg',
      QueryExecutionContext: { Database: 'segments', Catalog: 'AwsDataCatalog' },
      ClientRequestToken: clientRequestToken(RUN_ID, 'coverage', sql, 1),
    });
    expect(input.ClientRequestToken!.length).toBeGreaterThanOrEqual(32);
    expect(input.ClientRequestToken!.length).toBeLessThanOrEqual(128);
    expect(input).not.toHaveProperty('ResultConfiguration');
  });

  it('derives the token from run, step, SQL and attempt only', () => {
    const token = clientRequestToken(RUN_ID, 'coverage', 'SELECT 1', 1);
    expect(clientRequestToken(RUN_ID, 'coverage', 'SELECT 1', 1)).toBe(token);
    expect(clientRequestToken(RUN_ID, 'coverage', 'SELECT 1', 2)).not.toBe(token);
    expect(clientRequestToken(RUN_ID, 'summary', 'SELECT 1', 1)).not.toBe(token);
    expect(clientRequestToken(RUN_ID, 'coverage', 'SELECT 2', 1)).not.toBe(token);
    expect(clientRequestToken('other-run', 'coverage', 'SELECT 1', 1)).not.toBe(token);
  });

  it('retries a throttled start with the same token, so Athena returns one query', async () => {
    athena.errors.start.push(throttled(), throttled());
    await engine().query('coverage', 'SELECT 1 AS x');
    expect(athena.startCalls).toHaveLength(3);
    expect(new Set(athena.startCalls.map((c) => c.ClientRequestToken)).size).toBe(1);
    expect(athena.started).toHaveLength(1);
    // API backoff: ceilings 1000, 2000 ms, full jitter at random() = 0.5.
    expect(time.state.sleeps.slice(0, 2)).toEqual([500, 1000]);
  });

  it('retries errors the SDK marks $retryable', async () => {
    const error = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $retryable: {} });
    athena.errors.describe.push(error);
    await expect(engine().query('coverage', 'SELECT 1 AS x')).resolves.toEqual([]);
  });

  it('fails fast on an error that is not throttling', async () => {
    athena.errors.start.push(new InvalidRequestException({ $metadata: {}, message: 'line 1:8: mismatched input' }));
    const error = await engine().query('coverage', 'SELEC 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as QueryFailedError).context).toMatchObject({ step: 'coverage', operation: 'StartQueryExecution', error: 'InvalidRequestException' });
    expect((error as Error).message).toContain('mismatched input');
    expect(athena.startCalls).toHaveLength(1);
    expect(time.state.sleeps).toEqual([]);
  });

  it('gives up on throttling after the configured attempts', async () => {
    athena.errors.start.push(throttled(), throttled(), throttled(), throttled(), throttled());
    const error = await engine().query('coverage', 'SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as Error).message).toContain('TooManyRequestsException');
    expect(athena.startCalls).toHaveLength(4);
    expect(time.state.sleeps).toEqual([500, 1000, 2000]);
  });
});

describe('AthenaQueryEngine: polling', () => {
  it('waits through QUEUED and RUNNING with growing, capped, jittered delays', async () => {
    athena.plan = () => [
      { State: 'QUEUED' },
      { State: 'QUEUED' },
      { State: 'RUNNING' },
      { State: 'RUNNING' },
      { State: 'RUNNING' },
      { State: 'SUCCEEDED' },
    ];
    await engine().query('coverage', 'SELECT 1');
    expect(athena.describeCalls).toEqual(['q1', 'q1', 'q1', 'q1', 'q1', 'q1']);
    // Ceilings 100, 200, 400 (cap), 400, …; half of each at random() = 0.5.
    expect(time.state.sleeps).toEqual([50, 100, 200, 200, 200, 200]);
  });

  it('retries a throttled poll and then finishes', async () => {
    athena.errors.describe.push(throttled());
    await engine().query('coverage', 'SELECT 1');
    expect(athena.startCalls).toHaveLength(1);
    expect(athena.describeCalls).toEqual(['q1', 'q1', 'q1']);
  });

  it('stops the query and throws a deadline error when the deadline passes while it runs', async () => {
    athena.plan = () => [{ State: 'RUNNING' }];
    const deadlineAt = time.now() + 1_000;
    const error = await engine({ deadlineAt }).query('segment summary', 'SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryDeadlineError);
    expect(error).toMatchObject({ step: 'segment summary', queryId: 'q1', deadlineAt });
    expect(athena.stops).toEqual(['q1']);
    expect(time.now()).toBe(deadlineAt); // the last wait was cut to the deadline, not past it
  });

  it('never starts a query after the deadline', async () => {
    const error = await engine({ deadlineAt: time.now() - 1 }).query('coverage', 'SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryDeadlineError);
    expect((error as QueryDeadlineError).queryId).toBeUndefined();
    expect(athena.startCalls).toHaveLength(0);
  });

  it('turns a FAILED query into a typed error with id, reason, step and Athena error fields', async () => {
    athena.plan = () => [
      {
        State: 'FAILED',
        StateChangeReason: 'COLUMN_NOT_FOUND: line 1:8: Column x cannot be resolved',
        AthenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false, ErrorMessage: 'COLUMN_NOT_FOUND' },
      },
    ];
    const error = await engine().query('coverage', 'SELECT x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect(error).toMatchObject({ queryId: 'q1', state: 'FAILED', step: 'coverage', retryable: false });
    expect((error as AthenaQueryError).reason).toContain('Column x cannot be resolved');
    expect((error as AthenaQueryError).context).toMatchObject({ errorCategory: 2, errorType: 1006, errorMessage: 'COLUMN_NOT_FOUND' });
    expect((error as Error).message).toContain('q1');
    expect(athena.startCalls).toHaveLength(1);
  });

  it('turns a CANCELLED query into a typed error and does not restart it', async () => {
    athena.plan = () => [{ State: 'RUNNING' }, { State: 'CANCELLED', StateChangeReason: 'Query cancelled by user' }];
    const error = await engine().query('coverage', 'SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect(error).toMatchObject({ queryId: 'q1', state: 'CANCELLED', step: 'coverage', reason: 'Query cancelled by user' });
    expect(athena.startCalls).toHaveLength(1);
  });

  it('restarts a transiently FAILED query with the next attempt token', async () => {
    const sql = 'SELECT 1';
    athena.plan = (_sql, id) =>
      id === 'q1'
        ? [{ State: 'FAILED', StateChangeReason: 'Amazon S3 slow down', AthenaError: { ErrorCategory: 1, Retryable: true } }]
        : [{ State: 'SUCCEEDED' }];
    await engine().query('coverage', sql);
    expect(athena.startCalls.map((c) => c.ClientRequestToken)).toEqual([
      clientRequestToken(RUN_ID, 'coverage', sql, 1),
      clientRequestToken(RUN_ID, 'coverage', sql, 2),
    ]);
  });

  it('gives up on transient failures after maxQueryAttempts queries', async () => {
    athena.plan = () => [{ State: 'FAILED', StateChangeReason: 'internal error', AthenaError: { Retryable: true } }];
    const error = await engine({ maxQueryAttempts: 3 }).query('coverage', 'SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect(error).toMatchObject({ queryId: 'q3', retryable: true });
    expect((error as AthenaQueryError).context.attempts).toBe(3);
    expect(athena.startCalls).toHaveLength(3);
  });

  it('does not adopt a query an earlier invocation started with the same token', async () => {
    // Athena returns the earlier query for a reused token: it was submitted long before this statement began.
    athena.onStart = (_input, id) => {
      if (id === 'q1') athena.seed('q1', 'SELECT 1', [{ State: 'RUNNING', SubmissionDateTime: new Date(time.now() - 3_600_000) }]);
    };
    await engine().query('coverage', 'SELECT 1');
    expect(athena.stops).toEqual(['q1']);
    expect(athena.startCalls.map((c) => c.ClientRequestToken)).toEqual([
      clientRequestToken(RUN_ID, 'coverage', 'SELECT 1', 1),
      clientRequestToken(RUN_ID, 'coverage', 'SELECT 1', 2),
    ]);
    expect(athena.resultCalls.map((c) => c.QueryExecutionId)).toEqual(['q2']);
  });
});

describe('AthenaQueryEngine: results', () => {
  const columns = [
    { Name: 'customer_id', Type: 'varchar' },
    { Name: 'orders', Type: 'bigint' },
    { Name: 'revenue', Type: 'decimal', Precision: 18, Scale: 2 },
    { Name: 'share', Type: 'double' },
    { Name: 'opted_in', Type: 'boolean' },
    { Name: 'first_order', Type: 'date' },
    { Name: 'last_ts', Type: 'timestamp' },
    { Name: 'tz_ts', Type: 'timestamp with time zone' },
    { Name: 'meta', Type: 'json' },
  ];
  const row = (...values: (string | undefined)[]) => ({ Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })) });

  it('reads every page, skips the header on the first page only, and types the values', async () => {
    athena.results('q1', [
      {
        ResultSetMetadata: { ColumnInfo: columns },
        Rows: [
          row(...columns.map((c) => c.Name)),
          row('c-1', '3', '120.50', '0.25', 'true', '2026-01-05', '2026-03-01 10:00:00.000', '2026-03-01 10:00:00.000 UTC', '{"a":[1,2]}'),
          row('c-2', '1', '-9.99', 'NaN', 'false', '2026-02-01', '2026-03-01 23:59:59.123456', '2026-03-01 12:00:00.000 +02:00', 'null'),
        ],
      },
      { Rows: [row('c-3', '0', '0', '1.5E-3', undefined, undefined, undefined, undefined, undefined), row('', '9007199254740991', '1e2', '-Infinity', 'true', '2026-03-01', '2026-03-01 00:00:00', '2026-03-01 00:00:00.000 Z', '"x"')] },
      { Rows: [row(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined)] },
    ]);
    const rows = await engine().query('distributions', 'SELECT …');
    expect(athena.resultCalls.map((c) => [c.QueryExecutionId, c.MaxResults, c.NextToken])).toEqual([
      ['q1', 1000, undefined],
      ['q1', 1000, 'page-1'],
      ['q1', 1000, 'page-2'],
    ]);
    expect(rows).toEqual([
      {
        customer_id: 'c-1',
        orders: 3,
        revenue: 120.5,
        share: 0.25,
        opted_in: true,
        first_order: '2026-01-05',
        last_ts: '2026-03-01T10:00:00.000Z',
        tz_ts: '2026-03-01T10:00:00.000Z',
        meta: { a: [1, 2] },
      },
      {
        customer_id: 'c-2',
        orders: 1,
        revenue: -9.99,
        share: Number.NaN,
        opted_in: false,
        first_order: '2026-02-01',
        last_ts: '2026-03-01T23:59:59.123Z',
        tz_ts: '2026-03-01T10:00:00.000Z',
        meta: null,
      },
      { customer_id: 'c-3', orders: 0, revenue: 0, share: 0.0015, opted_in: null, first_order: null, last_ts: null, tz_ts: null, meta: null },
      {
        customer_id: '',
        orders: 9007199254740991,
        revenue: 100,
        share: Number.NEGATIVE_INFINITY,
        opted_in: true,
        first_order: '2026-03-01',
        last_ts: '2026-03-01T00:00:00.000Z',
        tz_ts: '2026-03-01T00:00:00.000Z',
        meta: 'x',
      },
      Object.fromEntries(columns.map((c) => [c.Name, null])),
    ]);
  });

  it('refuses array columns with a clear error instead of guessing their text', async () => {
    athena.results('q1', [{ ResultSetMetadata: { ColumnInfo: [{ Name: 'tags', Type: 'array' }] }, Rows: [row('tags'), row('[a, b]')] }]);
    await expect(engine().query('tags', 'SELECT tags')).rejects.toThrow(/column "tags" is of type array/);
  });

  it('reports bytes scanned, engine time and the query id for every finished statement', async () => {
    athena.statistics = { EngineExecutionTimeInMillis: 2345, DataScannedInBytes: 10_485_760 };
    athena.plan = () => [{ State: 'RUNNING' }, { State: 'RUNNING' }, { State: 'SUCCEEDED' }];
    const e = engine();
    await e.query('coverage', 'SELECT 1');
    expect(e.stats).toEqual([{ step: 'coverage', queryId: 'q1', wallMs: 50 + 100 + 200, engineMs: 2345, bytesScanned: 10_485_760 }]);
  });
});

describe('AthenaQueryEngine: concurrency', () => {
  it('keeps at most maxConcurrentQueries queries in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    athena.plan = () => [{ State: 'QUEUED' }, { State: 'RUNNING' }, { State: 'RUNNING' }, { State: 'SUCCEEDED' }];
    athena.onStart = () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
    };
    const done = new Set<string>();
    athena.onDescribe = (id) => {
      // The SUCCEEDED status is the fourth poll of each query.
      if (athena.describeCalls.filter((d) => d === id).length === 4 && !done.has(id)) {
        done.add(id);
        inFlight--;
      }
    };
    const e = engine({ maxConcurrentQueries: 2 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => e.query(`q ${i}`, `SELECT ${i}`)));
    expect(athena.started).toHaveLength(6);
    expect(peak).toBe(2);
    expect(e.stats).toHaveLength(6);
  });
});

describe('AthenaQueryEngine: relations and inputs', () => {
  it('names built relations per run in the database', () => {
    const e = engine();
    expect(e.name).toBe('athena');
    expect(e.relations.stg_orders).toBe(`"segments"."${TABLE_PREFIX}__stg_orders"`);
    expect(e.relations.customer_segments).toBe(`"segments"."${TABLE_PREFIX}__customer_segments"`);
  });

  it('makes present tables read their Glue table and absent optional ones empty', async () => {
    lake.add('orders/dt=2026-03-01/part-1.csv.gz', 50).add('orders/dt=2026-03-01/', 0).add('orders/_SUCCESS', 0).add('orders/.tmp/x.parquet', 5);
    lake.add('orders/_temporary/0/part.parquet', 7).add('events/', 0).add('events/_SUCCESS', 0);
    lake.add('customers/2026/03/customers.ndjson', 30);
    const e = engine();
    const before = e.relations;
    const inputs = await e.prepareInputs();
    expect(inputs).toEqual({
      orders: { table: 'orders', present: true, files: 2, bytes: 150, formats: ['csv'], partitioned: false, prunedFiles: 0 },
      customers: { table: 'customers', present: true, files: 1, bytes: 30, formats: ['jsonl'], partitioned: false, prunedFiles: 0 },
      events: { table: 'events', present: false, files: 0, bytes: 0, formats: [], partitioned: false, prunedFiles: 0 },
    });
    expect(e.relations.raw_orders).toBe(
      athenaRawRelationSql('orders', { database: 'segments', glueTable: 'orders', format: 'csv', lakeRoot: 's3://lake-bucket/lake/' }),
    );
    expect(e.relations.raw_events).toBe(athenaEmptyRelationSql('events'));
    // The map is updated in place, so a caller that read it before prepareInputs() sees the change.
    expect(before.raw_events).toBe(athenaEmptyRelationSql('events'));
  });

  it('rejects a file whose format differs from the table’s, naming the file and the format', async () => {
    lake.add('orders/dt=2026-03-01/extra.parquet', 10);
    const error = await engine().prepareInputs().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('orders/dt=2026-03-01/extra.parquet');
    expect((error as Error).message).toContain('csv');
    expect((error as InputError).context).toMatchObject({ table: 'orders', file: 'orders/dt=2026-03-01/extra.parquet', format: 'csv' });
  });

  it('prunes a declared table by its dt folders and filters its Glue table on dt', async () => {
    lake.objects.clear();
    lake.add('orders/dt=2026-02-27/part-0.csv', 10).add('orders/dt=2026-02-28/part-0.csv', 20).add('orders/dt=2026-03-01/part-0.csv', 40);
    lake.add('orders/dt=2026-03-02/part-0.csv', 80).add('orders/_SUCCESS', 0);
    const window = { through: '2026-03-01', after: '2026-02-27' };
    const e = engine({ lake: lakeOptions(['orders']) });
    const inputs = await e.prepareInputs(window);
    // The day already in the state and the day after the as-of date are left out.
    expect(inputs.orders).toEqual({ table: 'orders', present: true, files: 2, bytes: 60, formats: ['csv'], partitioned: true, prunedFiles: 2 });
    const source = { database: 'segments', glueTable: 'orders', format: 'csv', lakeRoot: 's3://lake-bucket/lake/' } as const;
    expect(e.relations.raw_orders).toBe(athenaRawRelationSql('orders', source, window));
    await e.query('count orders', `SELECT count(*) AS n FROM ${e.relations.raw_orders}`);
    expect(athena.startCalls[0]?.QueryString).toContain(`WHERE dt <= '2026-03-01' AND dt > '2026-02-27')`);
  });

  it('refuses a declared table’s file outside the dt= folders, which its Glue table would never read', async () => {
    lake.add('orders/dt=2026-03-01/part-1.csv', 50).add('orders/_SUCCESS', 0);
    const error = await engine({ lake: lakeOptions(['orders']) }).prepareInputs({ through: '2026-03-01' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('orders/part-0.csv');
    expect((error as Error).message).toContain('dt=YYYY-MM-DD/');
    expect((error as Error).message).toContain('lakePartitionedTables');
    expect((error as InputError).context).toMatchObject({ table: 'orders', file: 'orders/part-0.csv' });
    expect(athena.startCalls).toHaveLength(0);
  });

  it('refuses a declared table’s dt= folder that is not a calendar day, which partition projection would skip', async () => {
    lake.objects.clear();
    lake.add('orders/dt=2026-03-01/part-0.csv', 10).add('orders/dt=2026-02-30/part-0.csv', 20);
    const error = await engine({ lake: lakeOptions(['orders']) }).prepareInputs({ through: '2026-03-01' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('dt=2026-02-30 is not a calendar day');
    expect(athena.startCalls).toHaveLength(0);
  });

  it('reads an undeclared table whole, without a dt filter its Glue table has no column for, even when its files sit in dt= folders', async () => {
    lake.objects.clear();
    lake.add('orders/dt=2026-02-27/part-0.csv', 10).add('orders/dt=2026-03-01/part-0.csv', 40).add('orders/dt=2026-03-02/part-0.csv', 80);
    lake.add('events/dt=2026-03-01/part-0.parquet', 5);
    const window = { through: '2026-03-01', after: '2026-02-27' };
    const e = engine({ lake: lakeOptions(['events']) });
    const inputs = await e.prepareInputs(window);
    expect(inputs.orders).toEqual({ table: 'orders', present: true, files: 3, bytes: 130, formats: ['csv'], partitioned: false, prunedFiles: 0 });
    expect(inputs.events).toMatchObject({ present: true, partitioned: true });
    await e.query('count orders', `SELECT count(*) AS n FROM ${e.relations.raw_orders}`);
    const sent = athena.startCalls[0]?.QueryString ?? '';
    expect(sent).toContain('FROM "segments"."orders")');
    expect(sent).not.toMatch(/\bdt\b/);
  });

  it('requires the orders table', async () => {
    lake.objects.clear();
    lake.add('customers/c.json', 10).add('orders/_SUCCESS', 0);
    await expect(engine().prepareInputs()).rejects.toThrow(InputError);
    await expect(engine().prepareInputs()).rejects.toThrow(/no orders\/ data/);
  });

  it('reports no malformed lines (Athena SerDes do not report them)', async () => {
    expect(await engine().malformedLines('customers')).toEqual({ count: 0, examples: [] });
  });
});

describe('AthenaQueryEngine: materialize, unload, dispose', () => {
  const table = `${TABLE_PREFIX}__customer_features`;

  it('drops the table and clears its scratch prefix before the CTAS', async () => {
    scratch.add('customer_features/orphan-from-failed-ctas.parquet').add('customer_segments/keep.parquet');
    const seenAtCtas: string[][] = [];
    athena.onStart = (input) => {
      if (input.QueryString?.startsWith('CREATE TABLE')) seenAtCtas.push(scratch.keys('customer_features/'));
    };
    const e = engine();
    await e.materialize('features', 'customer_features', 'SELECT 1 AS x');
    const drop = `DROP TABLE IF EXISTS segments.${table}`;
    const ctas = `CREATE TABLE "segments"."${table}" WITH (format = 'PARQUET', write_compression = 'ZSTD', external_location = 's3://scratch-bucket/athena-scratch/run-1/customer_features/') AS SELECT 1 AS x`;
    expect(athena.started).toEqual([drop, ctas]);
    expect(athena.startCalls.map((c) => c.ClientRequestToken)).toEqual([
      clientRequestToken(RUN_ID, 'features', drop, 1),
      clientRequestToken(RUN_ID, 'features', ctas, 1),
    ]);
    expect(seenAtCtas).toEqual([[]]);
    expect(scratch.keys()).toEqual(['customer_segments/keep.parquet']);
    expect(e.stats.map((s) => s.queryId)).toEqual(['q1', 'q2']);
  });

  it('drops and clears again before restarting a transiently failed CTAS', async () => {
    athena.plan = (sql, id) => (id === 'q2' ? [{ State: 'FAILED', AthenaError: { Retryable: true } }] : [{ State: 'SUCCEEDED' }]);
    athena.onStart = (input, id) => {
      if (id === 'q2') scratch.add('customer_features/partial.parquet');
    };
    await engine().materialize('features', 'customer_features', 'SELECT 1 AS x');
    expect(athena.started.map((s) => s.split(' ')[0])).toEqual(['DROP', 'CREATE', 'DROP', 'CREATE']);
    expect(athena.startCalls[2]!.ClientRequestToken).toBe(clientRequestToken(RUN_ID, 'features', `DROP TABLE IF EXISTS segments.${table}`, 2));
    expect(scratch.keys()).toEqual([]);
  });

  it('unloads to the target prefix as unpartitioned ZSTD Parquet', async () => {
    const results = new MemoryStore('s3://results-bucket/');
    await engine().unload('unload customer_segments', 'SELECT * FROM t', { store: results, prefix: 'runs/r1/customer_segments/' });
    expect(athena.started).toEqual([
      "UNLOAD (SELECT * FROM t) TO 's3://results-bucket/runs/r1/customer_segments/' WITH (format = 'PARQUET', compression = 'ZSTD')",
    ]);
  });

  it('refuses to unload into a prefix that is not empty', async () => {
    const results = new MemoryStore('s3://results-bucket/').add('runs/r1/customer_segments/part-0.parquet');
    const error = await engine()
      .unload('unload customer_segments', 'SELECT 1', { store: results, prefix: 'runs/r1/customer_segments/' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as Error).message).toMatch(/not empty/);
    expect(athena.startCalls).toHaveLength(0);
  });

  it('deletes what a failed unload left under the prefix, then rethrows', async () => {
    const results = new MemoryStore('s3://results-bucket/').add('runs/r1/manifest.json');
    athena.plan = () => [{ State: 'RUNNING' }, { State: 'FAILED', StateChangeReason: 'HIVE_TOO_MANY_OPEN_PARTITIONS' }];
    athena.onStart = () => results.add('runs/r1/quarantine/orders/part-0.parquet').add('runs/r1/quarantine/orders/part-1.parquet');
    const error = await engine()
      .unload('quarantine orders', 'SELECT 1', { store: results, prefix: 'runs/r1/quarantine/orders/' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect(error).toMatchObject({ step: 'quarantine orders', queryId: 'q1' });
    expect(results.keys()).toEqual(['runs/r1/manifest.json']);
  });

  it('refuses an unload target that is not on S3', async () => {
    const local = new MemoryStore('/tmp/results/');
    await expect(engine().unload('unload', 'SELECT 1', { store: local, prefix: 'runs/r1/x/' })).rejects.toThrow(/s3:\/\//);
    expect(athena.startCalls).toHaveLength(0);
  });

  it('dispose() drops the tables it created and deletes their scratch files; close() does not', async () => {
    const e = engine();
    await e.materialize('stage orders', 'stg_orders', 'SELECT 1 AS x');
    await e.materialize('features', 'customer_features', 'SELECT 2 AS x');
    scratch.add('stg_orders/part-0.parquet').add('customer_features/part-0.parquet');
    await e.close();
    expect(athena.started).toHaveLength(4);
    expect(scratch.keys()).toHaveLength(2);
    await e.dispose();
    expect(athena.started.slice(4).sort()).toEqual([
      `DROP TABLE IF EXISTS segments.${TABLE_PREFIX}__customer_features`,
      `DROP TABLE IF EXISTS segments.${TABLE_PREFIX}__stg_orders`,
    ]);
    expect(scratch.keys()).toEqual([]);
  });
});

describe('AthenaQueryEngine: resuming from the journal', () => {
  it('records the query id right after the start, before polling', async () => {
    const journal = memoryJournal();
    const recordedAtFirstPoll: (string | undefined)[] = [];
    athena.onDescribe = () => recordedAtFirstPoll.push(journal.entries.get(journalKey('coverage', 'SELECT 1')));
    await engine({ journal }).query('coverage', 'SELECT 1');
    expect(recordedAtFirstPoll[0]).toBe('q1');
  });

  it('reads the results of a journaled SUCCEEDED query instead of starting it again', async () => {
    const sql = 'SELECT count(*) AS n FROM t';
    const journal = memoryJournal({ [journalKey('coverage', sql)]: 'q-earlier' });
    athena.seed('q-earlier', sql, [{ State: 'SUCCEEDED' }]);
    athena.results('q-earlier', [{ ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'bigint' }] }, Rows: [{ Data: [{ VarCharValue: 'n' }] }, { Data: [{ VarCharValue: '42' }] }] }]);
    const e = engine({ journal });
    expect(await e.query('coverage', sql)).toEqual([{ n: 42 }]);
    expect(athena.startCalls).toHaveLength(0);
    expect(e.stats).toEqual([expect.objectContaining({ step: 'coverage', queryId: 'q-earlier', bytesScanned: 4096 })]);
  });

  it('polls a journaled running query instead of starting another', async () => {
    const sql = 'SELECT 1';
    athena.seed('q-earlier', sql, [{ State: 'RUNNING' }, { State: 'SUCCEEDED' }]);
    await engine({ journal: memoryJournal({ [journalKey('coverage', sql)]: 'q-earlier' }) }).query('coverage', sql);
    expect(athena.startCalls).toHaveLength(0);
    expect(athena.resultCalls.map((c) => c.QueryExecutionId)).toEqual(['q-earlier']);
  });

  it('starts a journaled failed query anew with the next attempt', async () => {
    const sql = 'SELECT 1';
    const journal = memoryJournal({ [journalKey('coverage', sql)]: 'q-earlier' });
    athena.seed('q-earlier', sql, [{ State: 'CANCELLED', StateChangeReason: 'deadline' }]);
    await engine({ journal }).query('coverage', sql);
    expect(athena.startCalls.map((c) => c.ClientRequestToken)).toEqual([clientRequestToken(RUN_ID, 'coverage', sql, 2)]);
    expect(journal.entries.get(journalKey('coverage', sql))).toBe('q1');
  });

  it('starts anew when Athena no longer knows the journaled query', async () => {
    const journal = memoryJournal({ [journalKey('coverage', 'SELECT 1')]: 'q-forgotten' });
    await engine({ journal }).query('coverage', 'SELECT 1');
    expect(athena.startCalls).toHaveLength(1);
  });

  it('skips a journaled SUCCEEDED CTAS without dropping the table or touching its files', async () => {
    const e = engine();
    const ctas = ctasStatement(e.relations.customer_features, scratch.location('customer_features/'), 'SELECT 1 AS x');
    athena.seed('q-earlier', ctas, [{ State: 'SUCCEEDED' }]);
    scratch.add('customer_features/part-0.parquet');
    const resumed = engine({ journal: memoryJournal({ [journalKey('features', ctas)]: 'q-earlier' }) });
    await resumed.materialize('features', 'customer_features', 'SELECT 1 AS x');
    expect(athena.startCalls).toHaveLength(0);
    expect(scratch.keys()).toEqual(['customer_features/part-0.parquet']);
  });

  it('clears the leftovers of a journaled failed UNLOAD before running it again', async () => {
    const results = new MemoryStore('s3://results-bucket/').add('runs/r1/customer_segments/orphan.parquet');
    const sql = unloadStatement('SELECT 1', results.location('runs/r1/customer_segments/'));
    athena.seed('q-earlier', sql, [{ State: 'FAILED', AthenaError: { Retryable: false } }]);
    const journal = memoryJournal({ [journalKey('unload customer_segments', sql)]: 'q-earlier' });
    await engine({ journal }).unload('unload customer_segments', 'SELECT 1', { store: results, prefix: 'runs/r1/customer_segments/' });
    expect(athena.started).toEqual([sql]);
    expect(results.keys()).toEqual([]);
  });
});

describe('Athena statement builders', () => {
  it('builds the CTAS, UNLOAD and DROP statements', () => {
    expect(ctasStatement('"db"."t"', 's3://b/p/t/', 'SELECT 1')).toBe(
      `CREATE TABLE "db"."t" WITH (format = 'PARQUET', write_compression = 'ZSTD', external_location = 's3://b/p/t/') AS SELECT 1`,
    );
    expect(unloadStatement('SELECT 1', "s3://b/it's/")).toBe(`UNLOAD (SELECT 1) TO 's3://b/it''s/' WITH (format = 'PARQUET', compression = 'ZSTD')`);
    expect(dropTableStatement('db', 'run_x__t')).toBe('DROP TABLE IF EXISTS db.run_x__t');
  });

  it('refuses partitioned or non-S3 UNLOADs and unsafe DDL names', () => {
    expect(() => unloadStatement("SELECT 1) TO 's3://b/x/' WITH (partitioned_by = ARRAY['d']", 's3://b/p/')).toThrow(/unpartitioned/);
    expect(() => unloadStatement('SELECT 1', '/tmp/out/')).toThrow(/s3:\/\//);
    expect(() => ctasStatement('"db"."t"', 's3://b/p/t', 'SELECT 1')).toThrow(/ending in '\/'/);
    expect(() => dropTableStatement('db', '2026_t')).toThrow(QueryFailedError);
    expect(() => dropTableStatement('db', 't; DROP DATABASE db')).toThrow(QueryFailedError);
  });
});
