import path from 'node:path';
import type { ColumnInfo, ResultSet } from '@aws-sdk/client-athena';
import { Dialect, validate } from '@polyglot-sql/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaQueryEngine } from '../../shared/engines/athena.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import type { QueryEngine, Row } from '../../shared/engines/query-engine.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { silentLogger } from '../../shared/logging.ts';
import { refreshSegments, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { BUILT_RELATIONS, INPUT_RELATIONS, PREVIOUS_RELATIONS } from '../../shared/sql/relations.ts';
import { migrationSql } from '../../shared/sql/migration.ts';
import { LocalObjectStore } from '../../shared/stores/local.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { FakeAthena } from './athena-fake-client.ts';
import { MemoryStore } from './athena-fakes.ts';

/**
 * The whole refresh through the Athena adapter. Athena itself cannot run here, so the client is mocked and each
 * query's result is the one DuckDB gave for the same step — rendered the way GetQueryResults renders it (text
 * values, typed columns, 1000-row pages). This proves three things the unit tests cannot:
 * - every statement the job sends to Athena is the SQL DuckDB executed, with only relation names differing;
 * - every statement parses as Trino (polyglot's Trino dialect);
 * - the adapter's result parsing gives the pipeline the same figures, so segments and personas come out identical.
 */
const AS_OF = '2026-03-31';
const RUN_ID = '2026-03-31_20260401T013000Z_abcdef';
/** A complete run before this one, so the migration compares with a real previous run on both engines. */
const PREVIOUS_AS_OF = '2026-03-15';
const PREVIOUS_RUN_ID = '2026-03-15_20260316T013000Z_012345';
const DATABASE = 'customer_segments';
const FORMATS = { orders: 'parquet', customers: 'jsonl', events: 'csv' } as const;
const clock = () => new Date('2026-04-01T01:30:00Z');

interface Call {
  readonly kind: 'query' | 'materialize' | 'unload';
  readonly step: string;
  readonly sql: string;
}

/** Records the pipeline's calls on the port, and for query() also what it returned. */
function recording<T extends QueryEngine>(engine: T, calls: Call[], results?: Map<string, Row[][]>): T {
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
function asResultPages(rows: Row[]): ResultSet[] {
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

let lake: string;
let duckCalls: Call[];
let duckResult: RefreshResult;
const athenaCalls: Call[] = [];
let athenaResult: RefreshResult;
let fake: FakeAthena;
let athena: AthenaQueryEngine;
let statements: string[];

beforeAll(async () => {
  lake = path.join(await tempDir('athena-replay'), 'lake');
  // Bad rows included, so the quarantine statements run too; one table per format, so every raw-relation shape runs.
  await generateLake({ customers: 2_500, seed: 5, out: lake, asOf: AS_OF, formats: FORMATS });
  const config = defaultSegmentsConfig();

  const duckStore = new LocalObjectStore(await tempDir('athena-replay-duck'));
  const before = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 });
  try {
    await refreshSegments({ engine: before, store: duckStore, clock, log: silentLogger, toolVersion: 'test' }, { asOf: PREVIOUS_AS_OF, config, runId: PREVIOUS_RUN_ID });
  } finally {
    await before.close();
  }
  const previousPointer = (await duckStore.get('latest.json'))!;

  duckCalls = [];
  const replies = new Map<string, Row[][]>();
  const duck = recording(await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 }), duckCalls, replies);
  try {
    duckResult = await refreshSegments(
      { engine: duck, store: duckStore, clock, log: silentLogger, toolVersion: 'test' },
      { asOf: AS_OF, config, runId: RUN_ID },
    );
  } finally {
    await duck.close();
  }

  fake = new FakeAthena();
  const results = new MemoryStore('s3://results/');
  // The previous run as Athena's results bucket holds it: the pointer and the customer_segments part files.
  await results.put('latest.json', previousPointer);
  results.add(`runs/${PREVIOUS_RUN_ID}/customer_segments/part-0000.parquet`, 64);
  let currentStep = '';
  fake.onStart = (input, queryId) => {
    const sql = input.QueryString ?? '';
    const unloadTarget = /^UNLOAD \([\s\S]*\) TO 's3:\/\/results\/([^']+)'/.exec(sql)?.[1];
    // What Athena's UNLOAD would leave behind: a Parquet part under the target prefix.
    if (unloadTarget) results.add(`${unloadTarget}part-0000.parquet`, 64);
    const reply = replies.get(currentStep)?.shift();
    if (reply && !/^(CREATE|DROP|UNLOAD)\b/.test(sql)) fake.results(queryId, asResultPages(reply));
  };
  athena = new AthenaQueryEngine({
    client: fake.client,
    workGroup: 'segments',
    database: DATABASE,
    runId: RUN_ID,
    lake: { store: new LocalObjectStore(lake), root: 's3://lake/', formats: FORMATS },
    scratch: new MemoryStore(`s3://results/work/${RUN_ID}/`),
    sleep: async () => {},
    random: () => 0.5,
  });
  const query = athena.query.bind(athena);
  athena.query = async (step, sql) => {
    currentStep = step;
    return query(step, sql);
  };
  recording(athena, athenaCalls);
  athenaResult = await refreshSegments(
    { engine: athena, store: results, clock, log: silentLogger, toolVersion: 'test' },
    { asOf: AS_OF, config, runId: RUN_ID },
  );
  statements = fake.started;
}, 180_000);

afterAll(() => fake?.restore());

describe('the refresh on the Athena adapter', () => {
  it('sends Athena the SQL DuckDB ran, with only the relation names differing', () => {
    const athenaNames = athena.relations;
    const plain = [...INPUT_RELATIONS, ...PREVIOUS_RELATIONS, ...BUILT_RELATIONS];
    const toAthena = (sql: string) => sql.replace(new RegExp(`\\b(${plain.join('|')})\\b`, 'g'), (name) => athenaNames[name as (typeof plain)[number]]);
    // DuckDB's own bookkeeping queries (reading the lake, malformed-line diagnostics) are not the pipeline's.
    const pipelineCalls = duckCalls.filter((c) => !c.step.startsWith('load ') && !c.step.startsWith('malformed '));
    expect(athenaCalls.map((c) => `${c.kind} ${c.step}`)).toEqual(pipelineCalls.map((c) => `${c.kind} ${c.step}`));
    athenaCalls.forEach((call, i) => expect(call.sql, call.step).toBe(toAthena(pipelineCalls[i]!.sql)));
    // …and each reached Athena inside its CTAS or UNLOAD wrapper, or as is.
    for (const call of athenaCalls) expect(statements.some((s) => s.includes(call.sql)), call.step).toBe(true);
  });

  it('sends only statements that parse as Trino', () => {
    expect(statements.length).toBeGreaterThan(15);
    const kinds = new Set(statements.map((s) => /^\s*(\w+)/.exec(s)?.[1]?.toUpperCase()));
    expect([...kinds].sort()).toEqual(['CREATE', 'DROP', 'SELECT', 'UNLOAD', 'WITH'].filter((k) => kinds.has(k)));
    expect(kinds.has('CREATE') && kinds.has('UNLOAD') && kinds.has('SELECT')).toBe(true);
    for (const sql of statements) {
      const result = validate(sql, Dialect.Trino);
      expect(result.errors, sql.slice(0, 300)).toEqual([]);
      expect(result.valid).toBe(true);
    }
  });

  it('gives the same segments and personas as DuckDB, through the adapter’s result parsing', () => {
    const strip = <T extends { provenance: object }>(doc: T) => ({ ...doc, provenance: { ...doc.provenance, engine: undefined } });
    expect(strip(athenaResult.segments)).toEqual(strip(duckResult.segments));
    expect(strip(athenaResult.personas)).toEqual(strip(duckResult.personas));
    expect(athenaResult.segments.provenance.engine).toBe('athena');
    expect(duckResult.segments.customers).toBeGreaterThan(2_000);
    expect(duckResult.personas.personas.length).toBeGreaterThan(5);
  });

  it('compares with the previous run through the Glue output table, filtered on its run partition', () => {
    expect(athena.relations.previous_segments).toBe(
      `(SELECT customer_id, rfm_segment, lifecycle_stage FROM "${DATABASE}"."customer_segments" WHERE "run" = '${PREVIOUS_RUN_ID}')`,
    );
    const migration = statements.filter((s) => s.includes(athena.relations.previous_segments));
    expect(migration).toEqual([migrationSql(athena.relations)]);
    const strip = <T extends { provenance: object }>(doc: T) => ({ ...doc, provenance: { ...doc.provenance, engine: undefined } });
    expect(strip(athenaResult.migration)).toEqual(strip(duckResult.migration));
    expect(duckResult.migration.previous_run_id).toBe(PREVIOUS_RUN_ID);
    expect(duckResult.migration.previous_as_of).toBe(PREVIOUS_AS_OF);
    expect(duckResult.migration.moved.rfm).toBeGreaterThan(0);
  });

  it('compares with nothing on a first run: an empty relation, and no statement over the output table', async () => {
    const first = new AthenaQueryEngine({
      client: fake.client,
      workGroup: 'segments',
      database: DATABASE,
      runId: 'first',
      lake: { store: new LocalObjectStore(lake), root: 's3://lake/', formats: FORMATS },
      scratch: new MemoryStore('s3://results/work/first/'),
    });
    const store = new MemoryStore('s3://results/');
    expect(await first.attachPreviousRun(null)).toBe(false);
    expect(await first.attachPreviousRun({ store, prefix: 'runs/gone/', runId: 'gone' })).toBe(false);
    const sql = migrationSql(first.relations);
    expect(sql).not.toContain('"customer_segments" WHERE');
    expect(validate(sql, Dialect.Trino).errors).toEqual([]);
  });

  it('records Athena’s query ids, bytes scanned and engine time per query in the quality report', () => {
    const queries = athenaResult.quality.queries;
    expect(queries.length).toBe(statements.length);
    for (const q of queries) {
      expect(q.query_id).toMatch(/^q\d+$/);
      expect(q.bytes_scanned).toBe(fake.statistics.DataScannedInBytes);
      expect(q.engine_ms).toBe(fake.statistics.EngineExecutionTimeInMillis);
    }
  });
});

describe('a validator that is a gate', () => {
  it('rejects SQL Trino would reject', () => {
    expect(validate('SELECT a FROM t WHERE', Dialect.Trino).valid).toBe(false);
    expect(validate('SELECT a FROM t GROUP BY', Dialect.Trino).valid).toBe(false);
  });
});
