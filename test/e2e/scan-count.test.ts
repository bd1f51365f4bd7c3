import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_NAMES, type TableName } from '../../shared/contracts/lake.ts';
import { quoteIdentifier } from '../../shared/engines/athena-lake.ts';
import type { AthenaQueryEngine } from '../../shared/engines/athena.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { silentLogger } from '../../shared/logging.ts';
import { refreshSegments, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { sqlString } from '../../shared/sql/literals.ts';
import { INPUT_RELATIONS, type InputRelation } from '../../shared/sql/relations.ts';
import { LocalObjectStore } from '../../shared/stores/local.ts';
import type { FakeAthena } from '../adapters/athena-fake-client.ts';
import { MemoryStore } from '../adapters/athena-fakes.ts';
import { AS_OF as ATHENA_AS_OF, DATABASE, PREVIOUS_RUN_ID, RUN_ID, clock, duckReplay, replayingAthena } from '../adapters/athena-replay.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { RecordingQueryEngine, describeStatement, fileScans, occurrences, readersOf, type FileScan, type PortStatement } from '../helpers/scan-count.ts';

/**
 * One scan per input table per run (README, "Design decisions"): the staging statement of each table reads its raw
 * relation once, and every later step reads the staged aggregates. sql-statements.test.ts checks the SQL builders;
 * this checks what a whole refresh actually sends through the QueryEngine port — on DuckDB down to the query plans,
 * on Athena down to the StartQueryExecution requests — so an extra read of a raw table fails here, naming the
 * statement.
 */
const AS_OF = '2026-06-30';
const tableOf = (raw: InputRelation) => raw.slice('raw_'.length) as TableName;

/**
 * A generated lake whose tables mix formats, so the raw views union several file groups: orders Parquet + CSV + JSON
 * Lines, events Parquet + CSV, customers JSON Lines. Partitions are converted (not copied), so no row is read twice.
 */
async function mixedFormatLake(): Promise<string> {
  const lake = path.join(await tempDir('scan-count'), 'lake');
  await generateLake({ customers: 300, seed: 11, out: lake, asOf: AS_OF, formats: { orders: 'parquet', customers: 'jsonl', events: 'parquet' } });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const convert = async (table: TableName, partitions: string[], format: 'csv' | 'jsonl') => {
      for (const partition of partitions) {
        const source = path.join(lake, table, partition, 'part-0.parquet');
        const target = path.join(lake, table, partition, `part-0.${format}`);
        const options = format === 'csv' ? '(FORMAT csv, HEADER true)' : '(FORMAT json)';
        await c.run(`COPY (SELECT * FROM read_parquet(${sqlString(source)})) TO ${sqlString(target)} ${options}`);
        await rm(source);
      }
    };
    const partitionsOf = async (table: TableName) =>
      (await readdir(path.join(lake, table))).filter((name) => name.startsWith('dt=')).sort();
    const orders = await partitionsOf('orders');
    await convert('orders', orders.slice(0, 20), 'csv');
    await convert('orders', orders.slice(20, 40), 'jsonl');
    await convert('events', (await partitionsOf('events')).slice(0, 20), 'csv');
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return lake;
}

/** One file group per format here (the converted CSV files share one header), so one file scan per format. */
const FILE_GROUPS: Record<TableName, number> = { orders: 3, customers: 1, events: 2 };

/** The checks on a run's port statements, shared by both engines. */
function expectOneReaderPerRawRelation(statements: readonly PortStatement[], relations: Record<InputRelation, string>): void {
  for (const raw of INPUT_RELATIONS) {
    const readers = readersOf(statements, relations[raw]);
    const names = readers.map((r) => `"${describeStatement(r.statement)}"`).join(', ');
    expect(readers.length, `${raw} must be read by exactly one statement per run; read by: ${names}`).toBe(1);
    const [only] = readers;
    expect(describeStatement(only!.statement), `the one statement reading ${raw}`).toBe(`materialize stage ${tableOf(raw)}`);
    expect(only!.references, `${raw} referenced more than once in "${describeStatement(only!.statement)}"`).toBe(1);
  }
}

describe('one scan per input table per run, on DuckDB', () => {
  let lake: string;
  let result: RefreshResult;
  let port: RecordingQueryEngine;
  /** The file scans in the plan of each port statement, taken just before it ran. */
  const portScans = new Map<PortStatement, FileScan[]>();
  /** Statements the adapter runs itself through query() (malformed-line diagnostics), with their file scans. */
  const adapterScans: { step: string; scans: FileScan[] }[] = [];

  beforeAll(async () => {
    lake = await mixedFormatLake();
    const duck = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 });
    // Private to the adapter; the same session the statements run in, so EXPLAIN sees their relations.
    const connection: DuckDBConnection = duck['connection'];
    const fromPort = new Set<string>();
    port = new RecordingQueryEngine(duck, async (statement) => {
      fromPort.add(statement.sql);
      portScans.set(statement, await fileScans(connection, statement.sql));
    });
    // The adapter's own queries (reading the lake while preparing it, and malformed-line diagnostics afterwards)
    // go through its query() too; the ones that do not come from the port are recorded here.
    const query = duck.query.bind(duck);
    duck.query = async (step, sql) => {
      if (!fromPort.has(sql) && !step.startsWith('load ')) adapterScans.push({ step, scans: await fileScans(connection, sql) });
      return query(step, sql);
    };
    try {
      result = await refreshSegments(
        { engine: port, store: new LocalObjectStore(await tempDir('scan-count-out')), clock: () => new Date(), log: silentLogger, toolVersion: 'test' },
        { asOf: AS_OF, config: defaultSegmentsConfig() },
      );
    } finally {
      await port.close();
    }
  });

  it('reads a lake whose tables mix formats, through a full refresh', () => {
    expect(port.inputs?.orders.formats).toEqual(['csv', 'jsonl', 'parquet']);
    expect(port.inputs?.events.formats).toEqual(['csv', 'parquet']);
    expect(port.inputs?.customers.formats).toEqual(['jsonl']);
    expect(result.segments.customers).toBeGreaterThan(250);
    const kinds = new Set(port.statements.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(['materialize', 'query', 'unload']);
  });

  it('sends each raw relation in exactly one statement, which names it exactly once', () => {
    expectOneReaderPerRawRelation(port.statements, port.relations);
  });

  it('plans one file scan per file group in each staging statement, and none anywhere else', () => {
    for (const raw of INPUT_RELATIONS) {
      const table = tableOf(raw);
      const [staging] = readersOf(port.statements, port.relations[raw]);
      const scans = portScans.get(staging!.statement) ?? [];
      const found = scans.map((s) => s.fn).join(', ');
      expect(scans.length, `file scans of ${table} (${FILE_GROUPS[table]} file groups) in "${describeStatement(staging!.statement)}": ${found}`).toBe(FILE_GROUPS[table]);
      // No file group read twice: each scan reads a different function or column set.
      const distinct = new Set(scans.map((s) => `${s.fn}(${s.projections.join(',')})`));
      expect(distinct.size, `a file group of ${table} is scanned twice in "${describeStatement(staging!.statement)}"`).toBe(scans.length);
    }
    // Every other statement reads the staged aggregates, never a file.
    const others = port.statements
      .filter((s) => !/^stage /.test(s.step))
      .filter((s) => (portScans.get(s) ?? []).length > 0)
      .map((s) => `${describeStatement(s)}: ${portScans.get(s)!.map((f) => f.fn).join(', ')}`);
    expect(others, `statements scanning lake files after staging: ${others.join('; ')}`).toEqual([]);
    const total = [...portScans.values()].reduce((n, scans) => n + scans.length, 0);
    expect(total).toBe(Object.values(FILE_GROUPS).reduce((a, b) => a + b, 0));
  });

  it("re-reads lake files in the adapter's own diagnostics only for JSON Lines (the documented json_valid pass)", () => {
    // DuckDbQueryEngine.malformedLines reads CSV rejects from the tables the staging scan filled, but finds invalid
    // JSON lines with a second pass over the JSON Lines files (see shared/engines/duckdb.ts). Pinned here so that
    // pass cannot spread to other formats or grow unnoticed.
    const rereads = adapterScans.filter((a) => a.scans.length > 0).map((a) => `${a.step}: ${a.scans.map((s) => s.fn).join(', ')}`);
    expect([...rereads].sort()).toEqual(['malformed customers: READ_CSV', 'malformed orders: READ_CSV']);
    expect(adapterScans.map((a) => a.step).every((step) => step.startsWith('malformed '))).toBe(true);
  });
});

describe('one scan per input table per run, on Athena', () => {
  let fake: FakeAthena;
  let athena: AthenaQueryEngine;
  let port: RecordingQueryEngine;
  let started: string[];

  beforeAll(async () => {
    // The replay setup of athena-pipeline.test.ts: each Athena query answered with DuckDB's result for its step.
    const { lake, replies, previousPointer } = await duckReplay({ customers: 400, name: 'scan-count-athena' });
    const results = new MemoryStore('s3://results/');
    await results.put('latest.json', previousPointer);
    results.add(`runs/${PREVIOUS_RUN_ID}/customer_segments/part-0000.parquet`, 64);
    ({ fake, athena } = replayingAthena(lake, replies, results));
    port = new RecordingQueryEngine(athena);
    await refreshSegments({ engine: port, store: results, clock, log: silentLogger, toolVersion: 'test' }, { asOf: ATHENA_AS_OF, config: defaultSegmentsConfig(), runId: RUN_ID });
    started = fake.started;
  });

  afterAll(() => fake?.restore());

  it('sends each raw relation (the Glue table subquery) in exactly one port statement, once', () => {
    for (const raw of INPUT_RELATIONS) expect(athena.relations[raw], raw).toContain(`${quoteIdentifier(DATABASE)}.`);
    expectOneReaderPerRawRelation(port.statements, athena.relations);
  });

  it('starts exactly one Athena query per run that reads each Glue raw table, naming it once', () => {
    expect(started.length).toBeGreaterThan(15);
    for (const table of TABLE_NAMES) {
      const glueTable = `${quoteIdentifier(DATABASE)}.${quoteIdentifier(table)}`;
      const readers = started.filter((sql) => occurrences(sql, glueTable) > 0);
      const names = readers.map((sql) => `"${sql.slice(0, 160)}…"`).join(', ');
      expect(readers.length, `queries started that read ${glueTable}: ${names}`).toBe(1);
      expect(occurrences(readers[0]!, glueTable), `${glueTable} in "${readers[0]!.slice(0, 120)}"`).toBe(1);
      // It is the staging CTAS, wrapping the one port statement that reads the raw relation.
      expect(readers[0]).toMatch(/^CREATE TABLE /);
      expect(readers[0]).toContain(athena.relations[`stg_${table}`]);
    }
  });
});
