import { Dialect, validate } from '@polyglot-sql/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaQueryEngine } from '../../shared/engines/athena.ts';
import type { Row } from '../../shared/engines/query-engine.ts';
import type { RefreshResult } from '../../shared/pipeline/refresh.ts';
import { migrationSql } from '../../shared/sql/migration.ts';
import { LocalObjectStore } from '../../shared/stores/local.ts';
import { FakeAthena } from './athena-fake-client.ts';
import { MemoryStore } from './athena-fakes.ts';
import {
  DATABASE,
  FORMATS,
  PARTITIONED,
  PREVIOUS_AS_OF,
  PREVIOUS_RUN_ID,
  duckReplay,
  expectAthenaGotDuckDbSql,
  expectTrinoStatements,
  refreshOnReplayedAthena,
  type Call,
} from './athena-replay.ts';

/**
 * The whole refresh through the Athena adapter. Athena itself cannot run here, so the client is mocked and each
 * query's result is the one DuckDB gave for the same step — rendered the way GetQueryResults renders it (text
 * values, typed columns, 1000-row pages). This proves three things the unit tests cannot:
 * - every statement the job sends to Athena is the SQL DuckDB executed, with only relation names differing;
 * - every statement parses as Trino (polyglot's Trino dialect);
 * - the adapter's result parsing gives the pipeline the same figures, so segments and personas come out identical.
 */
let lake: string;
let duckCalls: Call[];
let duckResult: RefreshResult;
let athenaCalls: Call[];
let athenaResult: RefreshResult;
let fake: FakeAthena;
let athena: AthenaQueryEngine;
let statements: string[];

beforeAll(async () => {
  let replies: Map<string, Row[][]>;
  let previousPointer: Uint8Array;
  ({ lake, duckCalls, duckResult, replies, previousPointer } = await duckReplay({ customers: 2_500 }));

  const results = new MemoryStore('s3://results/');
  // The previous run as Athena's results bucket holds it: the pointer and the customer_segments part files.
  await results.put('latest.json', previousPointer);
  results.add(`runs/${PREVIOUS_RUN_ID}/customer_segments/part-0000.parquet`, 64);
  ({ fake, athena, calls: athenaCalls, result: athenaResult, statements } = await refreshOnReplayedAthena(lake, replies, results));
}, 180_000);

afterAll(() => fake?.restore());

describe('the refresh on the Athena adapter', () => {
  it('sends Athena the SQL DuckDB ran, with only the relation names differing', () => {
    expectAthenaGotDuckDbSql(duckCalls, athenaCalls, athena.relations, statements);
  });

  it('sends only statements that parse as Trino', () => {
    const kinds = expectTrinoStatements(statements);
    expect([...kinds].sort()).toEqual(['CREATE', 'DROP', 'SELECT', 'UNLOAD', 'WITH'].filter((k) => kinds.has(k)));
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
      lake: { store: new LocalObjectStore(lake), root: 's3://lake/', formats: FORMATS, partitioned: PARTITIONED },
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
