import path from 'node:path';
import { Dialect, validate } from '@polyglot-sql/sdk';
import { expect } from 'vitest';
import type { ColumnInfo, ResultSet } from '@aws-sdk/client-athena';
import { STATE_MANIFEST } from '../../shared/contracts/state.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import type { QueryEngine, Row } from '../../shared/engines/query-engine.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { silentLogger } from '../../shared/logging.ts';
import { refreshSegments, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { BUILT_RELATIONS, INPUT_RELATIONS, PREVIOUS_RELATIONS, type Relations } from '../../shared/sql/relations.ts';
import { LocalObjectStore } from '../../shared/stores/local.ts';
import { AthenaQueryEngine } from '../../shared/engines/athena.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { FakeAthena } from './athena-fake-client.ts';
import { MemoryStore } from './athena-fakes.ts';

/**
 * The replay of a DuckDB run through the mocked Athena client, shared by the Athena pipeline tests: each query's
 * result is the one DuckDB gave for the same step, rendered the way GetQueryResults renders it.
 */
export const AS_OF = '2026-03-31';
export const RUN_ID = '2026-03-31_20260401T013000Z_abcdef';
/** A complete run before this one, so the migration compares with a real previous run on both engines. */
export const PREVIOUS_AS_OF = '2026-03-15';
export const PREVIOUS_RUN_ID = '2026-03-15_20260316T013000Z_012345';
export const DATABASE = 'customer_segments';
export const FORMATS = { orders: 'parquet', customers: 'jsonl', events: 'csv' } as const;
/** generateLake writes orders and events in dt= folders and customers as one file, as the stack's default declares. */
export const PARTITIONED = ['orders', 'events'] as const;
export const clock = () => new Date('2026-04-01T01:30:00Z');

export interface Call {
  readonly kind: 'query' | 'materialize' | 'unload';
  readonly step: string;
  readonly sql: string;
}

/**
 * Asserts that Athena got exactly the pipeline SQL DuckDB ran, relation names aside, each statement inside its
 * CTAS or UNLOAD wrapper or as is. Returns DuckDB's pipeline calls (its own lake-reading and malformed-line
 * bookkeeping left out).
 */
export function expectAthenaGotDuckDbSql(duckCalls: readonly Call[], athenaCalls: readonly Call[], athenaRelations: Relations, started: readonly string[]): Call[] {
  const plain = [...INPUT_RELATIONS, ...PREVIOUS_RELATIONS, ...BUILT_RELATIONS];
  const toAthena = (sql: string) => sql.replace(new RegExp(`\\b(${plain.join('|')})\\b`, 'g'), (name) => athenaRelations[name as (typeof plain)[number]]);
  const pipelineCalls = duckCalls.filter((c) => !c.step.startsWith('load ') && !c.step.startsWith('malformed '));
  expect(athenaCalls.map((c) => `${c.kind} ${c.step}`)).toEqual(pipelineCalls.map((c) => `${c.kind} ${c.step}`));
  athenaCalls.forEach((call, i) => expect(call.sql, call.step).toBe(toAthena(pipelineCalls[i]!.sql)));
  for (const call of athenaCalls) expect(started.some((s) => s.includes(call.sql)), call.step).toBe(true);
  return pipelineCalls;
}

/** Asserts that every statement started parses as Trino, and that tables were created, unloaded and queried. */
export function expectTrinoStatements(started: readonly string[]): Set<string | undefined> {
  expect(started.length).toBeGreaterThan(15);
  const kinds = new Set(started.map((s) => /^\s*(\w+)/.exec(s)?.[1]?.toUpperCase()));
  expect(kinds.has('CREATE') && kinds.has('UNLOAD') && kinds.has('SELECT')).toBe(true);
  for (const sql of started) {
    const result = validate(sql, Dialect.Trino);
    expect(result.errors, sql.slice(0, 300)).toEqual([]);
    expect(result.valid).toBe(true);
  }
  return kinds;
}

/** Records the pipeline's calls on the port, and for query() also what it returned. */
export function recording<T extends QueryEngine>(engine: T, calls: Call[], results?: Map<string, Row[][]>): T {
  const query = engine.query.bind(engine);
  const materialize = engine.materialize.bind(engine);
  const unload = engine.unload.bind(engine);
  engine.query = async (step, sql) => {
    calls.push({ kind: 'query', step, sql });
    const rows = await query(step, sql);
    if (results) results.set(step, [...(results.get(step) ?? []), rows]);
    return rows;
  };
  engine.materialize = async (step, name, sql) => {
    calls.push({ kind: 'materialize', step, sql });
    return materialize(step, name, sql);
  };
  engine.unload = async (step, sql, target) => {
    calls.push({ kind: 'unload', step, sql });
    return unload(step, sql, target);
  };
  return engine;
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** DuckDB's rows as Athena's GetQueryResults pages: a header row first, every value as text, NULL as no value. */
export function asResultPages(rows: Row[]): ResultSet[] {
  const names = rows[0] ? Object.keys(rows[0]) : [];
  const typeOf = (name: string): string => {
    const values = rows.map((r) => r[name]).filter((v) => v !== null && v !== undefined);
    if (values.length === 0) return 'varchar';
    if (values.every((v) => typeof v === 'boolean')) return 'boolean';
    if (values.every((v) => typeof v === 'number')) return values.every((v) => Number.isInteger(v)) ? 'bigint' : 'double';
    if (values.every((v) => typeof v === 'string' && ISO_TIMESTAMP.test(v))) return 'timestamp';
    return 'varchar';
  };
  const columns: ColumnInfo[] = names.map((name) => ({ Name: name, Label: name, Type: typeOf(name) }));
  const render = (value: unknown, type: string) => {
    if (value === null || value === undefined) return {};
    if (type === 'timestamp') return { VarCharValue: String(value).replace('T', ' ').replace('Z', '') };
    return { VarCharValue: String(value) };
  };
  const dataRows = rows.map((row) => ({ Data: columns.map((c) => render(row[c.Name!], c.Type!)) }));
  const header = { Data: names.map((n) => ({ VarCharValue: n })) };
  const pages: ResultSet[] = [];
  for (let i = 0; i === 0 || i < dataRows.length; i += 1000) {
    pages.push({ ResultSetMetadata: { ColumnInfo: columns }, Rows: [...(i === 0 ? [header] : []), ...dataRows.slice(i, i + 1000)] });
  }
  return pages;
}

export interface DuckReplay {
  /** The lake directory (one table per format). */
  readonly lake: string;
  /** The pipeline's calls on DuckDB for the run RUN_ID. */
  readonly duckCalls: Call[];
  readonly duckResult: RefreshResult;
  /** query() results of that run, per step, in call order. */
  readonly replies: Map<string, Row[][]>;
  /** latest.json after the previous run (the pointer the run RUN_ID compared with). */
  readonly previousPointer: Uint8Array;
  /** The previous run's state manifest (`runs/<previous>/state/state.json`) as DuckDB wrote it. */
  readonly previousStateManifest: Uint8Array;
  /** The previous run's id and as-of date (PREVIOUS_RUN_ID and PREVIOUS_AS_OF unless chosen). */
  readonly previousRunId: string;
  readonly previousAsOf: string;
  /** The store both DuckDB runs published to. */
  readonly duckStore: LocalObjectStore;
}

/**
 * Generates a lake and runs the refresh on DuckDB twice: the previous run (PREVIOUS_RUN_ID as of PREVIOUS_AS_OF
 * unless `previousAsOf` / `previousRunId` say otherwise), then RUN_ID (as of AS_OF) recording its calls and query
 * results. With the default previous run, 16 days earlier, the recorded run is full; a previous run at most
 * `incremental.maxStateAgeDays` days earlier makes it incremental.
 */
export async function duckReplay(options: {
  customers: number;
  seed?: number;
  name?: string;
  previousAsOf?: string;
  previousRunId?: string;
}): Promise<DuckReplay> {
  const name = options.name ?? 'athena-replay';
  const previousAsOf = options.previousAsOf ?? PREVIOUS_AS_OF;
  const previousRunId = options.previousRunId ?? (options.previousAsOf === undefined ? PREVIOUS_RUN_ID : `${previousAsOf}_20260401T013000Z_012345`);
  const lake = path.join(await tempDir(name), 'lake');
  // Bad rows included, so the quarantine statements run too; one table per format, so every raw-relation shape runs.
  await generateLake({ customers: options.customers, seed: options.seed ?? 5, out: lake, asOf: AS_OF, formats: FORMATS });
  const config = defaultSegmentsConfig();

  const duckStore = new LocalObjectStore(await tempDir(`${name}-duck`));
  const before = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 });
  try {
    await refreshSegments({ engine: before, store: duckStore, clock, log: silentLogger, toolVersion: 'test' }, { asOf: previousAsOf, config, runId: previousRunId });
  } finally {
    await before.close();
  }
  const previousPointer = (await duckStore.get('latest.json'))!;
  const previousStateManifest = (await duckStore.get(`runs/${previousRunId}/${STATE_MANIFEST}`))!;

  const duckCalls: Call[] = [];
  const replies = new Map<string, Row[][]>();
  const duck = recording(await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 }), duckCalls, replies);
  let duckResult: RefreshResult;
  try {
    duckResult = await refreshSegments({ engine: duck, store: duckStore, clock, log: silentLogger, toolVersion: 'test' }, { asOf: AS_OF, config, runId: RUN_ID });
  } finally {
    await duck.close();
  }
  return { lake, duckCalls, duckResult, replies, previousPointer, previousStateManifest, previousRunId, previousAsOf, duckStore };
}

/** The lake root the replayed Athena engine strips from "$path". */
export const LAKE_ROOT = 's3://lake/';

/**
 * An Athena engine over the mocked client that answers each query with DuckDB's result for the same step (taken
 * from `replies`, in order), and leaves a Parquet part in `results` wherever an UNLOAD writes, as Athena would.
 * The engine's query() records the step it answers for; call `restore()` on the fake when done.
 */
export function replayingAthena(lake: string, replies: ReadonlyMap<string, readonly Row[][]>, results: MemoryStore): { fake: FakeAthena; athena: AthenaQueryEngine } {
  const queue = new Map([...replies].map(([step, rows]) => [step, [...rows]]));
  const fake = new FakeAthena();
  let currentStep = '';
  fake.onStart = (input, queryId) => {
    const sql = input.QueryString ?? '';
    const unloadTarget = /^UNLOAD \([\s\S]*\) TO 's3:\/\/results\/([^']+)'/.exec(sql)?.[1];
    if (unloadTarget) results.add(`${unloadTarget}part-0000.parquet`, 64);
    const reply = queue.get(currentStep)?.shift();
    if (reply && !/^(CREATE|DROP|UNLOAD)\b/.test(sql)) fake.results(queryId, asResultPages(reply));
  };
  const athena = new AthenaQueryEngine({
    client: fake.client,
    workGroup: 'segments',
    database: DATABASE,
    runId: RUN_ID,
    lake: { store: new LocalObjectStore(lake), root: LAKE_ROOT, formats: FORMATS, partitioned: PARTITIONED },
    scratch: new MemoryStore(`s3://results/work/${RUN_ID}/`),
    sleep: async () => {},
    random: () => 0.5,
  });
  const query = athena.query.bind(athena);
  athena.query = async (step, sql) => {
    currentStep = step;
    return query(step, sql);
  };
  return { fake, athena };
}

export interface ReplayedAthenaRun {
  fake: FakeAthena;
  athena: AthenaQueryEngine;
  /** The pipeline's calls on the Athena port. */
  calls: Call[];
  result: RefreshResult;
  /** Every statement started on the fake Athena client, in order. */
  statements: string[];
}

/** The refresh RUN_ID (as of AS_OF, default config) through the Athena adapter, answered from DuckDB's replies. */
export async function refreshOnReplayedAthena(lake: string, replies: ReadonlyMap<string, readonly Row[][]>, results: MemoryStore): Promise<ReplayedAthenaRun> {
  const { fake, athena } = replayingAthena(lake, replies, results);
  const calls: Call[] = [];
  recording(athena, calls);
  const result = await refreshSegments(
    { engine: athena, store: results, clock, log: silentLogger, toolVersion: 'test' },
    { asOf: AS_OF, config: defaultSegmentsConfig(), runId: RUN_ID },
  );
  return { fake, athena, calls, result, statements: fake.started };
}
