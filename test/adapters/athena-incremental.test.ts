import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_MANIFEST, StateManifest, stateFolder, stateTableName } from '../../shared/contracts/state.ts';
import type { AthenaQueryEngine } from '../../shared/engines/athena.ts';
import { athenaRawRelationSql } from '../../shared/engines/athena-lake.ts';
import type { RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { PLAIN_RELATIONS } from '../../shared/sql/relations.ts';
import { STATE_COLUMNS, STATE_GRAINS, keptStateGrains, previousStateRelation, stateOutputSql, stateSql, type StateGrain } from '../../shared/sql/state.ts';
import { STAGE_SQL } from '../../shared/sql/staging.ts';
import type { FakeAthena } from './athena-fake-client.ts';
import { MemoryStore } from './athena-fakes.ts';
import {
  AS_OF,
  DATABASE,
  FORMATS,
  LAKE_ROOT,
  RUN_ID,
  duckReplay,
  expectAthenaGotDuckDbSql,
  expectTrinoStatements,
  refreshOnReplayedAthena,
  type Call,
  type DuckReplay,
} from './athena-replay.ts';

/**
 * The incremental refresh through the Athena adapter, replayed from DuckDB as athena-pipeline.test.ts does for a
 * full one. The previous run is 4 days before AS_OF (within incremental.maxStateAgeDays), so both engines read only
 * the day partitions after it and merge them into its feature state: on Athena the state is the Glue table
 * customer_state_<grain> on the previous run's partition, and the lake tables are read through a dt window.
 */
const PREVIOUS_AS_OF = '2026-03-27';
const PREVIOUS_RUN_ID = '2026-03-27_20260328T013000Z_0a1b2c';

let replay: DuckReplay;
let duckCalls: Call[];
let duckResult: RefreshResult;
let athenaCalls: Call[];
let athenaResult: RefreshResult;
let fake: FakeAthena;
let athena: AthenaQueryEngine;
let results: MemoryStore;
let statements: string[];

beforeAll(async () => {
  replay = await duckReplay({ customers: 1_500, name: 'athena-incremental', previousAsOf: PREVIOUS_AS_OF, previousRunId: PREVIOUS_RUN_ID });
  ({ duckCalls, duckResult } = replay);
  results = new MemoryStore('s3://results/');
  // What the previous run published, as Athena's results bucket holds it: the pointer, its customer_segments
  // part files, and its feature state (the manifest DuckDB wrote, and a state part under each grain's folder).
  await results.put('latest.json', replay.previousPointer);
  results.add(`runs/${PREVIOUS_RUN_ID}/customer_segments/part-0000.parquet`, 64);
  await results.put(`runs/${PREVIOUS_RUN_ID}/${STATE_MANIFEST}`, replay.previousStateManifest);
  for (const grain of STATE_GRAINS) results.add(`runs/${PREVIOUS_RUN_ID}/${stateFolder(grain)}part-0000.parquet`, 64);
  ({ fake, athena, calls: athenaCalls, result: athenaResult, statements } = await refreshOnReplayedAthena(replay.lake, replay.replies, results));
}, 180_000);

afterAll(() => fake?.restore());

const strip = <T extends { provenance: object }>(doc: T) => ({ ...doc, provenance: { ...doc.provenance, engine: undefined } });
const json = (bytes: Uint8Array | undefined) => JSON.parse(Buffer.from(bytes!).toString('utf8')) as unknown;

/** The grains merged with the previous state and kept for the next: every one but the profiles, since customers/ is not partitioned. */
const MERGED: StateGrain[] = keptStateGrains(false);

describe('the incremental refresh on the Athena adapter', () => {
  it('is incremental on both engines, for the same reason', () => {
    expect(replay.previousAsOf).toBe(PREVIOUS_AS_OF);
    expect(StateManifest.parse(json(replay.previousStateManifest))).toMatchObject({ run_id: PREVIOUS_RUN_ID, through: PREVIOUS_AS_OF, mode: 'full' });
    expect(duckResult.mode.mode).toBe('incremental');
    expect(athenaResult.mode.mode).toBe('incremental');
    expect(athenaResult.mode.reason).toBe(duckResult.mode.reason);
    expect(duckResult.mode.reason).toBe(`partitions after ${PREVIOUS_AS_OF}`);
    expect(athenaResult.quality.refresh).toEqual(duckResult.quality.refresh);
    expect(athenaResult.quality.refresh).toMatchObject({ mode: 'incremental', partitions_after: PREVIOUS_AS_OF, previous_state_run: PREVIOUS_RUN_ID });
    expect(athenaResult.stages.map((s) => s.stage)).toContain('state orders (merge)');
    expect(duckResult.stages.map((s) => s.stage)).toContain('state orders (merge)');
  });

  it('sends Athena the SQL DuckDB ran, with only the relation names differing', () => {
    const pipelineCalls = expectAthenaGotDuckDbSql(duckCalls, athenaCalls, athena.relations, statements);
    // The merge is among them, on both engines; the profiles come from the customers snapshot alone.
    for (const grain of STATE_GRAINS) {
      expect(pipelineCalls.find((c) => c.step === `state ${grain}`)?.sql).toBe(stateSql(PLAIN_RELATIONS, grain, AS_OF, MERGED.includes(grain)));
    }
  });

  it('sends only statements that parse as Trino', () => {
    expectTrinoStatements(statements);
  });

  it('merges into the previous state read through the Glue state tables, filtered on its run partition', () => {
    expect(athenaResult.quality.refresh?.previous_state_grains).toEqual(MERGED);
    // customers/ is an unpartitioned snapshot, read whole: the previous profiles are not read at all.
    expect(athena.relations[previousStateRelation('profiles')]).toBeUndefined();
    expect(statements.filter((s) => s.includes(`"${stateTableName('profiles')}"`))).toEqual([]);
    for (const grain of MERGED) {
      const previous = athena.relations[previousStateRelation(grain)];
      expect(previous).toBe(`(SELECT ${STATE_COLUMNS[grain].map((c) => c.name).join(', ')} FROM "${DATABASE}"."${stateTableName(grain)}" WHERE "run" = '${PREVIOUS_RUN_ID}')`);
      const merge = statements.filter((s) => s.includes(previous));
      expect(merge, grain).toHaveLength(1);
      expect(merge[0]).toMatch(/^CREATE TABLE /);
      expect(merge[0]).toContain(stateSql(athena.relations, grain, AS_OF, true));
      // Nothing else reads the grain's state table (the UNLOAD of this run's state reads this run's table).
      expect(statements.filter((s) => s.includes(`"${stateTableName(grain)}"`))).toEqual(merge);
    }
  });

  it('reads only the new day partitions of orders and events, and every customers file', () => {
    const source = (table: 'orders' | 'customers' | 'events') => ({ database: DATABASE, glueTable: table, format: FORMATS[table], lakeRoot: LAKE_ROOT });
    const window = { through: AS_OF, after: PREVIOUS_AS_OF };
    for (const table of ['orders', 'events'] as const) {
      const raw = athena.relations[`raw_${table}`];
      expect(raw).toBe(athenaRawRelationSql(table, source(table), window));
      expect(raw).toContain(`WHERE dt <= '${AS_OF}' AND dt > '${PREVIOUS_AS_OF}')`);
      // Older days were pruned, on both engines alike.
      expect(athenaResult.quality.tables[table]?.files).toBe(duckResult.quality.tables[table]?.files);
      expect(athenaResult.quality.tables[table]?.files).toBeGreaterThan(0);
    }
    // The customers file sits outside the dt= folders: read whole (the latest profile wins in the merge).
    expect(athena.relations.raw_customers).toBe(athenaRawRelationSql('customers', source('customers'), undefined));
    expect(athena.relations.raw_customers).not.toMatch(/\bdt\b/);
    for (const table of ['orders', 'customers', 'events'] as const) {
      const readers = statements.filter((s) => s.includes(athena.relations[`raw_${table}`]));
      expect(readers, table).toHaveLength(1);
      expect(readers[0]).toMatch(/^CREATE TABLE /);
      expect(readers[0]).toContain(STAGE_SQL[table](athena.relations, { asOf: AS_OF, config: defaultSegmentsConfig() }));
    }
  });

  it('gives the same segments and personas as DuckDB, through the adapter’s result parsing', () => {
    expect(strip(athenaResult.segments)).toEqual(strip(duckResult.segments));
    expect(strip(athenaResult.personas)).toEqual(strip(duckResult.personas));
    expect(athenaResult.segments.provenance.engine).toBe('athena');
    expect(duckResult.segments.customers).toBeGreaterThan(1_000);
    expect(duckResult.personas.personas.length).toBeGreaterThan(3);
  });

  it('unloads the merged state under runs/<run>/state/<grain>/ and writes its manifest as incremental', async () => {
    for (const grain of STATE_GRAINS) {
      const target = `s3://results/runs/${RUN_ID}/${stateFolder(grain)}`;
      const unloads = statements.filter((s) => s.startsWith('UNLOAD') && s.includes(`TO '${target}'`));
      // The profiles come from the customers snapshot every night: no profiles state is kept.
      if (!MERGED.includes(grain)) {
        expect(unloads, grain).toEqual([]);
        continue;
      }
      expect(unloads, grain).toHaveLength(1);
      expect(unloads[0]).toContain(stateOutputSql(athena.relations, grain));
      expect(results.keys(`runs/${RUN_ID}/${stateFolder(grain)}`)).toEqual([`runs/${RUN_ID}/${stateFolder(grain)}part-0000.parquet`]);
    }
    const manifest = StateManifest.parse(json(await results.get(`runs/${RUN_ID}/${STATE_MANIFEST}`)));
    expect(manifest).toMatchObject({ run_id: RUN_ID, through: AS_OF, mode: 'incremental', full_run_id: PREVIOUS_RUN_ID, full_as_of: PREVIOUS_AS_OF });
    // The same manifest DuckDB wrote for the same run.
    expect(manifest).toEqual(StateManifest.parse(json(await replay.duckStore.get(`runs/${RUN_ID}/${STATE_MANIFEST}`))));
    expect(JSON.parse(Buffer.from((await results.get('latest.json'))!).toString('utf8')).run_id).toBe(RUN_ID);
  });
});
