import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { stateFolder } from '../../shared/contracts/state.ts';
import { STATE_GRAINS, keptStateGrains } from '../../shared/sql/state.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import type { RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { addDays } from '../../shared/time.ts';
import { tempDir } from '../helpers/duckdb.ts';

/**
 * The incremental refresh against the full one: a chain of nightly runs that each read only their new day
 * partitions must publish exactly what a full recompute over every partition publishes.
 */
const AS_OF = '2026-03-31';
const FIRST = addDays(AS_OF, -12);
const SECOND = addDays(AS_OF, -6);

let lake: string;
let sql: (query: string) => Promise<Record<string, unknown>[]>;

beforeAll(async () => {
  lake = await tempDir('incremental-lake-');
  await generateLake({ customers: 1500, seed: 11, out: lake, asOf: AS_OF, overwrite: true });
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  sql = async (query) => (await connection.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[];
}, 120_000);

const run = (out: string, asOf: string, runId: string, extra: Partial<Parameters<typeof refreshLocal>[0]> = {}) =>
  refreshLocal({ lakeDir: lake, outDir: out, asOf, runId, threads: 2, clock: () => new Date(`${addDays(asOf, 1)}T02:00:00Z`), ...extra });

/** Rows of one run's Parquet folder that the other run's folder does not have (multiset difference, both ways). */
async function differences(a: string, b: string, columns = '*'): Promise<number> {
  const one = `SELECT ${columns} FROM read_parquet('${a}/*.parquet')`;
  const two = `SELECT ${columns} FROM read_parquet('${b}/*.parquet')`;
  const [row] = await sql(`SELECT (SELECT count(*) FROM (${one} EXCEPT ALL ${two})) + (SELECT count(*) FROM (${two} EXCEPT ALL ${one})) AS n`);
  return Number(row?.n);
}

describe('incremental refresh', () => {
  let chain: RefreshResult[];
  let full: RefreshResult;
  let chainOut: string;
  let fullOut: string;

  beforeAll(async () => {
    chainOut = await tempDir('incremental-chain-');
    fullOut = await tempDir('incremental-full-');
    chain = [];
    for (const [i, asOf] of [FIRST, SECOND, AS_OF].entries()) chain.push(await run(chainOut, asOf, `inc-${i}`));
    full = await run(fullOut, AS_OF, 'inc-2');
  }, 300_000);

  it('runs full once, then reads only the partitions after the previous state', () => {
    expect(chain.map((r) => r.mode.mode)).toEqual(['full', 'incremental', 'incremental']);
    expect(full.mode.mode).toBe('full');
    expect(chain[2]!.quality.refresh).toMatchObject({ mode: 'incremental', partitions_after: SECOND, previous_state_run: 'inc-1' });
    // The unpartitioned customers table is a snapshot read whole, so the previous profiles are not read.
    expect(chain[2]!.quality.refresh?.previous_state_grains).toEqual(STATE_GRAINS.filter((g) => g !== 'profiles'));
    const last = chain[2]!.quality.tables;
    // 6 of 365 days of orders and events; the unpartitioned customers table is read whole (a profile read twice changes nothing).
    expect(last.orders!.rows_read).toBeLessThan(full.quality.tables.orders!.rows_read * 0.05);
    expect(last.events!.rows_read).toBeLessThan(full.quality.tables.events!.rows_read * 0.05);
    expect(last.orders!.rows_read).toBeGreaterThan(0);
    expect(last.customers!.rows_read).toBe(full.quality.tables.customers!.rows_read);
  });

  it('covers late returns of orders already in the state and customers who come back after a pause', async () => {
    const orders = `read_parquet('${lake}/orders/*/*.parquet', hive_partitioning = true)`;
    const [late] = await sql(`
      SELECT count(*) AS n FROM ${orders} AS r
      WHERE starts_with(r.order_id, 'r') AND r.dt > '${SECOND}'
        AND EXISTS (SELECT 1 FROM ${orders} AS o WHERE o.customer_id = r.customer_id AND starts_with(o.order_id, 'o') AND o.dt <= '${SECOND}')`);
    expect(Number(late?.n)).toBeGreaterThan(0);
    const [back] = await sql(`
      WITH days AS (SELECT customer_id, max(dt) FILTER (WHERE dt <= '${FIRST}') AS before, min(dt) FILTER (WHERE dt > '${SECOND}') AS after FROM ${orders} GROUP BY 1)
      SELECT count(*) AS n FROM days WHERE before IS NOT NULL AND after IS NOT NULL AND CAST(after AS DATE) - CAST(before AS DATE) > 60`);
    expect(Number(back?.n)).toBeGreaterThan(0);
  });

  it('publishes the same customer_segments, state and segment sizes as a full recompute', async () => {
    const segments = (out: string) => path.join(out, 'runs', 'inc-2', 'customer_segments');
    expect(await differences(segments(chainOut), segments(fullOut), '* EXCLUDE (run_id)')).toBe(0);
    const [count] = await sql(`SELECT count(*) AS n FROM read_parquet('${segments(chainOut)}/*.parquet')`);
    expect(Number(count?.n)).toBe(full.segments.customers);
    for (const grain of keptStateGrains(false)) {
      const state = (out: string) => path.join(out, 'runs', 'inc-2', stateFolder(grain));
      expect(await differences(state(chainOut), state(fullOut)), grain).toBe(0);
    }
    // customers/ is a snapshot here: the next run reads it whole, so no run keeps a profiles state.
    for (const out of [chainOut, fullOut]) expect(existsSync(path.join(out, 'runs', 'inc-2', stateFolder('profiles')))).toBe(false);
    expect(chain[2]!.segments.segments).toEqual(full.segments.segments);
    expect(chain[2]!.segments.rfm).toEqual(full.segments.rfm);
    // data_from reaches back to the first run's data, which the last run itself did not read.
    expect(chain[2]!.segments.provenance.data_from).toBe(full.segments.provenance.data_from);
  });

  it('publishes a night without new partitions from the state, judging freshness on the state’s newest row', async () => {
    const quiet = await run(chainOut, addDays(AS_OF, 1), 'inc-3');
    expect(quiet.mode.mode).toBe('incremental');
    expect(quiet.quality.tables.orders!.rows_read).toBe(0);
    expect(quiet.quality.warnings).toContain(`orders: no new accepted rows after ${AS_OF}`);
    expect(quiet.quality.freshness.newest_data).toBe(full.quality.freshness.newest_data);
    // Each table too: neither brought a row tonight, and the state remembers how new each one was.
    for (const table of ['orders', 'events'] as const) {
      expect(quiet.quality.freshness.tables[table]?.newest_data).toBe(full.quality.freshness.tables[table]?.newest_data);
      expect(quiet.quality.freshness.tables[table]?.age_days).toBe(full.quality.freshness.tables[table]!.age_days + 1);
    }
    expect(quiet.segments.customers).toBe(full.segments.customers);
  });

  it('merges day-partitioned profile changes into the previous profiles, reading only the new customer partitions', async () => {
    // The same lake with customers/ as a log of profile changes: each record in the dt= folder of its updated_at
    // day, plus later records that move some customers to another city, in the days each incremental run reads.
    const changes = path.join(await tempDir('incremental-changes-'), 'lake');
    await mkdir(changes);
    for (const table of ['orders', 'events']) await symlink(path.join(lake, table), path.join(changes, table));
    const customers = `read_csv('${lake}/customers/**/*.csv', all_varchar = true, header = true, ignore_errors = true)`;
    const dayOf = (column: string) => `CASE WHEN regexp_matches(${column}, '^\\d{4}-\\d{2}-\\d{2}') THEN least(left(${column}, 10), '${FIRST}') ELSE '2025-01-01' END`;
    const moved = (from: string, day: string, city: string) =>
      `SELECT * REPLACE ('${day}T12:00:00Z' AS updated_at, '${city}' AS city), '${day}' AS dt FROM ${customers} WHERE customer_id LIKE '${from}%'`;
    await sql(`COPY (
      SELECT *, ${dayOf('updated_at')} AS dt FROM ${customers}
      UNION ALL ${moved('c00001', addDays(FIRST, 2), 'Second City')}
      UNION ALL ${moved('c00002', addDays(SECOND, 3), 'Third City')}
    ) TO '${changes}/customers' (FORMAT csv, HEADER, PARTITION_BY (dt))`);
    const logRun = (out: string, asOf: string, runId: string) =>
      refreshLocal({ lakeDir: changes, outDir: out, asOf, runId, threads: 2, clock: () => new Date(`${addDays(asOf, 1)}T02:00:00Z`) });
    const logChain = await tempDir('incremental-log-chain-');
    const logFull = await tempDir('incremental-log-full-');
    const runs: RefreshResult[] = [];
    for (const [i, asOf] of [FIRST, SECOND, AS_OF].entries()) runs.push(await logRun(logChain, asOf, `log-${i}`));
    const recomputed = await logRun(logFull, AS_OF, 'log-2');

    expect(runs.map((r) => r.mode.mode)).toEqual(['full', 'incremental', 'incremental']);
    expect(runs[2]!.quality.refresh?.previous_state_grains).toEqual([...STATE_GRAINS]);
    const changed = Number((await sql(`SELECT count(*) AS n FROM ${customers} WHERE customer_id LIKE 'c00002%'`))[0]?.n);
    expect(changed).toBeGreaterThan(0);
    // The last run read only the profile changes of its own days.
    expect(runs[2]!.quality.tables.customers!.rows_read).toBe(changed);
    for (const grain of STATE_GRAINS) {
      const state = (out: string) => path.join(out, 'runs', 'log-2', stateFolder(grain));
      expect(await differences(state(logChain), state(logFull)), grain).toBe(0);
    }
    const segments = (out: string) => path.join(out, 'runs', 'log-2', 'customer_segments');
    expect(await differences(segments(logChain), segments(logFull), '* EXCLUDE (run_id)')).toBe(0);
    const cities = await sql(
      `SELECT city, count(*) AS n FROM read_parquet('${path.join(logChain, 'runs', 'log-2', stateFolder('profiles'))}/*.parquet') WHERE city IN ('Second City', 'Third City') GROUP BY city ORDER BY city`,
    );
    expect(cities.map((c) => c.city)).toEqual(['Second City', 'Third City']);
    expect(recomputed.segments.segments).toEqual(runs[2]!.segments.segments);

    // A chain that began on a customers snapshot kept no profiles state: once customers/ becomes a change log, the
    // next night recomputes in full instead of merging changes into profiles it does not have.
    const switched = await logRun(chainOut, addDays(AS_OF, 2), 'switch-0');
    expect(switched.mode).toEqual({ mode: 'full', reason: expect.stringMatching(/^run inc-3 kept no profiles state/) });
    expect(existsSync(path.join(chainOut, 'runs', 'switch-0', stateFolder('profiles')))).toBe(true);
  }, 300_000);

  it('falls back to a full recompute when asked, on a rerun, after a currency change, or when the state files are gone', async () => {
    const out = await tempDir('incremental-fallback-');
    await run(out, SECOND, 'fb-0');
    expect((await run(out, AS_OF, 'fb-1', { full: true })).mode).toEqual({ mode: 'full', reason: 'full recompute requested' });
    expect((await run(out, AS_OF, 'fb-2')).mode.reason).toMatch(/already covers 2026-03-31/);
    const config = { ...defaultSegmentsConfig(), currency: { reporting: 'EUR', rates: { GBP: 1.17, NOK: 0.086, KRW: 0.00068, JPY: 0.0061, USD: 0.92 } } };
    const currencyOut = await tempDir('incremental-currency-');
    await run(currencyOut, addDays(AS_OF, -2), 'fb-3');
    const changed = await run(currencyOut, AS_OF, 'fb-4', { config });
    expect(changed.mode.reason).toMatch(/currency configuration changed/);
    const goneOut = await tempDir('incremental-gone-');
    await run(goneOut, addDays(AS_OF, -3), 'fb-5');
    await rm(path.join(goneOut, 'runs', 'fb-5', stateFolder('events')), { recursive: true });
    expect((await run(goneOut, AS_OF, 'fb-6')).mode.reason).toMatch(/no state files/);
  }, 300_000);

  it('writes a backfill beside the newer published run without moving latest.json back, and the next night continues the newer run', async () => {
    const out = await tempDir('incremental-backfill-');
    await run(out, SECOND, 'bf-0');
    const latest = () => readFile(path.join(out, 'latest.json'), 'utf8');
    const before = await latest();
    const backfill = await run(out, FIRST, 'bf-1');
    expect(await latest()).toBe(before);
    expect(backfill.newerPublished).toMatchObject({ runId: 'bf-0', asOf: SECOND });
    // Complete, and compared with nothing: the newer run is not its predecessor.
    expect(backfill.mode.mode).toBe('full');
    expect(backfill.history.runs.map((r) => r.run_id)).toEqual(['bf-1']);
    expect(existsSync(path.join(out, 'runs', 'bf-1', 'manifest.json'))).toBe(true);
    const next = await run(out, AS_OF, 'bf-2');
    expect(next.newerPublished).toBeNull();
    expect(next.mode.mode).toBe('incremental');
    expect(next.history.runs.map((r) => r.run_id)).toEqual(['bf-0', 'bf-2']);
    expect(JSON.parse(await latest()).run_id).toBe('bf-2');
  }, 300_000);
});
