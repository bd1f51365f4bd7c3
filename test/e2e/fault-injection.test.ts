import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SegmentsConfig } from '../../shared/contracts/config.ts';
import type { TableName } from '../../shared/contracts/lake.ts';
import type { LatestPointer, ManifestDocument } from '../../shared/contracts/outputs.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import type { InputTable, MalformedLines, PreviousRun, QueryEngine, QueryStats, Row, UnloadTarget } from '../../shared/engines/query-engine.ts';
import type { StateGrain } from '../../shared/sql/state.ts';
import { QueryFailedError } from '../../shared/errors.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { silentLogger } from '../../shared/logging.ts';
import { FAILED_MARKER, LATEST_KEY, refreshSegments, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import type { BuiltRelation, Relations } from '../../shared/sql/relations.ts';
import { LocalObjectStore } from '../../shared/stores/local.ts';
import { getJson, type ObjectStore } from '../../shared/stores/object-store.ts';
import { S3ObjectStore } from '../../shared/stores/s3.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts';

/**
 * Fault injection at every step of a refresh and around every object write, on a local folder and on S3 (s3rver).
 *
 * The list of fault points is not written by hand: one good run is recorded through wrappers on the engine's methods
 * and the store's methods, and every recorded call becomes a point. For each point a run is started that fails there
 * (`before`: the call throws without effect; `after`: a put takes effect and then throws, as when S3 stored the
 * object but the response was lost; `down`: the store fails from that call on, so the failure marker cannot be
 * written either), and then:
 * - latest.json is byte-for-byte what it was, and every object of the run it names is still there with the same bytes;
 * - the abandoned run is marked with _FAILED.json (except in `down` mode, where nothing can be written: such a folder
 *   is unmarked, and is still never shown, because readers follow latest.json only);
 * - a rerun on a healthy store completes and publishes, and none of its documents mention the abandoned run.
 *
 * To keep ~500 runs fast, the engine in the fault runs replays what a real DuckDB run over the same lake returned
 * (rows per step, the Parquet files it unloaded): the pipeline, the store adapters and the s3rver I/O are the real
 * ones. Faults inside the real DuckDB engine are covered by publish-safety.test.ts and s3-publish.test.ts.
 */
/**
 * k-means runs in-process and would dominate each of the ~500 runs: after the first (real) fit, discovery repeats
 * the same engine calls (they stay fault points) and returns the fit it made.
 */
vi.mock('../../shared/discovery/discover.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../shared/discovery/discover.ts')>();
  let cached: { calls: { step: string; sql: string }[]; result: Awaited<ReturnType<typeof real.runDiscovery>> } | undefined;
  const runDiscovery: typeof real.runDiscovery = async (query, ...rest) => {
    if (cached) {
      for (const call of cached.calls) await query(call.step, call.sql);
      return cached.result;
    }
    const calls: { step: string; sql: string }[] = [];
    const result = await real.runDiscovery((step, sql) => {
      calls.push({ step, sql });
      return query(step, sql);
    }, ...rest);
    cached = { calls, result };
    return result;
  };
  return { ...real, runDiscovery };
});

const AS_OF = '2026-03-31';
const BUCKET = 'faults';
const clock = () => new Date('2026-04-01T01:30:00Z');

let config: SegmentsConfig;
let recording: Recording;
let server: S3TestServer;

interface Recording {
  inputs: Record<TableName, InputTable>;
  relations: Relations;
  malformed: Map<string, MalformedLines>;
  queries: Map<string, Row[][]>;
  unloads: Map<string, { name: string; bytes: Uint8Array }[]>;
  stats: QueryStats[];
}

/** A QueryEngine answering with what the real one answered for each step, in order. */
class ReplayEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  readonly #queries: Map<string, Row[][]>;
  constructor(readonly rec: Recording) {
    this.#queries = new Map([...rec.queries].map(([k, v]) => [k, structuredClone(v)]));
  }
  get relations(): Relations {
    return this.rec.relations;
  }
  get stats(): readonly QueryStats[] {
    return this.rec.stats;
  }
  async prepareInputs() {
    return structuredClone(this.rec.inputs);
  }
  async malformedLines(table: TableName) {
    return structuredClone(this.rec.malformed.get(table)!);
  }
  async attachPreviousRun(previous: PreviousRun | null) {
    return previous !== null;
  }
  /** The recording is of a full run: without a state the run stays full and asks for the recorded steps. */
  async attachPreviousState(_previous: PreviousRun, _grains: readonly StateGrain[]) {
    return false;
  }
  async query(step: string) {
    const rows = this.#queries.get(step)?.shift();
    if (!rows) throw new Error(`replay: no recorded result for step ${step}`);
    return rows;
  }
  async materialize(_step: string, _name: BuiltRelation) {}
  async unload(step: string, _sql: string, target: UnloadTarget) {
    if ((await target.store.list(target.prefix)).length > 0) throw new QueryFailedError(`unload target ${target.prefix} is not empty`, { step });
    for (const file of this.rec.unloads.get(step) ?? []) await target.store.put(`${target.prefix}${file.name}`, file.bytes, 'application/vnd.apache.parquet');
  }
  async close() {}
}

async function record(lake: string): Promise<Recording> {
  const out = await tempDir('faults-record');
  const rec: Recording = { inputs: {} as Recording['inputs'], relations: {} as Relations, malformed: new Map(), queries: new Map(), unloads: new Map(), stats: [] };
  // Two runs: the second has a previous run, as every fault run below has, so migration rows are the realistic ones.
  for (let i = 0; i < 2; i++) {
    const engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 });
    const store = new LocalObjectStore(out);
    if (i === 1) {
      const query = engine.query.bind(engine);
      const unload = engine.unload.bind(engine);
      const malformed = engine.malformedLines.bind(engine);
      engine.query = async (step, sql) => {
        const rows = await query(step, sql);
        rec.queries.set(step, [...(rec.queries.get(step) ?? []), rows]);
        return rows;
      };
      engine.malformedLines = async (table) => {
        const m = await malformed(table);
        rec.malformed.set(table, m);
        return m;
      };
      engine.unload = async (step, sql, target) => {
        await unload(step, sql, target);
        const files = await target.store.list(target.prefix);
        rec.unloads.set(step, await Promise.all(files.map(async (f) => ({ name: f.key.slice(target.prefix.length), bytes: (await target.store.get(f.key))! }))));
      };
    }
    try {
      await refreshSegments({ engine, store, clock, log: silentLogger, toolVersion: 'test' }, { asOf: AS_OF, config, runId: runId(900 + i) });
      if (i === 1) {
        rec.inputs = await engine.prepareInputs();
        rec.relations = { ...engine.relations };
        rec.stats = [...engine.stats];
      }
    } finally {
      await engine.close();
    }
  }
  return rec;
}

function runId(n: number): string {
  return `${AS_OF}_20260401T013000Z_${n.toString(16).padStart(6, '0')}`;
}

type Mode = 'before' | 'after' | 'down';

class FaultInjected extends Error {}

/** Numbers every engine and store call; throws at the chosen one (or, in `down` mode, at every store call from it on). */
class Injector {
  readonly ops: string[] = [];
  constructor(
    readonly runId: string,
    readonly fault?: { at: number; mode: Mode },
  ) {}

  async around<T>(kind: 'engine' | 'store', label: string, call: () => Promise<T>): Promise<T> {
    const i = this.ops.length;
    // The previous run's id depends on which runs the sweep published before: only its role is compared.
    this.ops.push(`${kind}.${label.replace(/runs\/[^/]+\//, (m) => (m === `runs/${this.runId}/` ? 'runs/<run>/' : 'runs/<previous>/')).replaceAll(this.runId, '<run>')}`);
    const f = this.fault;
    if (f && ((f.mode === 'before' && i === f.at) || (f.mode === 'down' && kind === 'store' && i >= f.at))) {
      throw new FaultInjected(`injected fault before ${this.ops[i]}`);
    }
    const result = await call();
    if (f?.mode === 'after' && i === f.at) throw new FaultInjected(`injected fault after ${this.ops[i]}`);
    return result;
  }

  store(inner: ObjectStore): ObjectStore {
    return {
      put: (key, body, type) => this.around('store', `put ${key}`, () => inner.put(key, body, type)),
      get: (key) => this.around('store', `get ${key}`, () => inner.get(key)),
      list: (prefix) => this.around('store', `list ${prefix}`, () => inner.list(prefix)),
      delete: (key) => this.around('store', `delete ${key}`, () => inner.delete(key)),
      location: (key) => inner.location(key),
      get description() {
        return inner.description;
      },
    };
  }

  engine(inner: ReplayEngine): QueryEngine {
    return {
      name: inner.name,
      get relations() {
        return inner.relations;
      },
      get stats() {
        return inner.stats;
      },
      prepareInputs: () => this.around('engine', 'prepareInputs', () => inner.prepareInputs()),
      malformedLines: (table) => this.around('engine', `malformedLines ${table}`, () => inner.malformedLines(table)),
      attachPreviousRun: (previous) => this.around('engine', 'attachPreviousRun', () => inner.attachPreviousRun(previous)),
      attachPreviousState: (previous, grains) => this.around('engine', 'attachPreviousState', () => inner.attachPreviousState(previous, grains)),
      query: (step, sql) => this.around('engine', `query ${step}`, () => inner.query(step)),
      materialize: (step, name, sql) => this.around('engine', `materialize ${step}`, () => inner.materialize(step, name)),
      unload: (step, sql, target) => this.around('engine', `unload ${step}`, () => inner.unload(step, sql, target)),
      close: () => inner.close(),
    };
  }
}

async function run(store: ObjectStore, injector: Injector): Promise<RefreshResult> {
  const engine = injector.engine(new ReplayEngine(recording));
  return refreshSegments(
    { engine, store: injector.store(store), clock, log: silentLogger, toolVersion: 'test' },
    { asOf: AS_OF, config, runId: injector.runId },
  );
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** latest.json's bytes and every object of the run it names, by key. */
async function snapshot(store: ObjectStore): Promise<{ latest: string; pointer: LatestPointer; objects: Map<string, string> }> {
  const latest = (await store.get(LATEST_KEY))!;
  const pointer = JSON.parse(Buffer.from(latest).toString('utf8')) as LatestPointer;
  const objects = new Map<string, string>();
  for (const o of await store.list(pointer.prefix)) objects.set(o.key, sha((await store.get(o.key))!));
  return { latest: sha(latest), pointer, objects };
}

interface SweepResult {
  cases: Record<Mode, number>;
  problems: string[];
  unmarked: string[];
}

/** Runs every fault point against `store`, which must already hold a published run. */
async function sweep(
  store: ObjectStore,
  nextId: () => string,
  modes: readonly Mode[] = ['before', 'after', 'down'],
  /** Sweeps only the first call of each kind these collapse to the same string (e.g. one persona file for all). */
  kindOf?: (op: string) => string,
): Promise<SweepResult> {
  const dry = new Injector(nextId());
  await run(store, dry);
  const points: { at: number; mode: Mode }[] = [];
  const kinds = new Set<string>();
  dry.ops.forEach((op, at) => {
    if (kindOf) {
      if (kinds.has(kindOf(op))) return;
      kinds.add(kindOf(op));
    }
    if (modes.includes('before')) points.push({ at, mode: 'before' });
    if (modes.includes('after') && op.startsWith('store.put ')) points.push({ at, mode: 'after' });
    if (modes.includes('down') && op.startsWith('store.')) points.push({ at, mode: 'down' });
  });
  const result: SweepResult = { cases: { before: 0, after: 0, down: 0 }, problems: [], unmarked: [] };
  for (const point of points) {
    const label = `${point.mode} ${dry.ops[point.at]} (#${point.at})`;
    const problem = (what: string) => result.problems.push(`${label}: ${what}`);
    result.cases[point.mode] += 1;
    const before = await snapshot(store);
    const injector = new Injector(nextId(), point);
    const prefix = `runs/${injector.runId}/`;
    let outcome: 'failed' | 'published';
    try {
      await run(store, injector);
      outcome = 'published';
    } catch (error) {
      if (!(error instanceof FaultInjected)) problem(`failed with an unexpected error: ${String(error)}`);
      outcome = 'failed';
    }
    if (injector.ops[point.at] !== dry.ops[point.at]) problem(`call #${point.at} was ${injector.ops[point.at]}, not the recorded one`);
    const isLatestWrite = dry.ops[point.at] === `store.put ${LATEST_KEY}`;

    if (outcome === 'published') {
      // Only a lost response to the latest.json write itself may still publish: the write took effect.
      if (!(point.mode === 'after' && isLatestWrite)) problem('published although a call failed');
      const pointer = (await getJson<LatestPointer>(store, LATEST_KEY))!;
      if (pointer.run_id !== injector.runId) problem('reported published but latest.json names another run');
      if ((await store.get(`${prefix}${FAILED_MARKER}`)) !== undefined) problem('a published run carries _FAILED.json');
      await checkComplete(store, pointer, problem);
      continue;
    }
    if (point.mode === 'after' && isLatestWrite) problem('latest.json was written but the run was reported failed');

    // The previous publication is untouched: latest.json byte for byte, every object of its run.
    const after = await snapshot(store);
    if (after.latest !== before.latest) problem('latest.json changed');
    if (after.pointer.run_id === injector.runId) problem('latest.json names the failed run');
    if ([...before.objects].some(([k, v]) => after.objects.get(k) !== v) || after.objects.size !== before.objects.size) {
      problem(`objects of the published run ${before.pointer.run_id} changed`);
    }
    // The abandoned run is marked, unless the store was down for the marker write too.
    const keys = (await store.list(prefix)).map((o) => o.key);
    const marked = keys.includes(`${prefix}${FAILED_MARKER}`);
    if (point.mode !== 'down' && !marked) problem('no _FAILED.json');
    if (point.mode === 'down' && keys.length > 0 && !marked) result.unmarked.push(`${label}: ${keys.length} objects, manifest ${keys.includes(`${prefix}manifest.json`)}`);
    if (marked) {
      const marker = (await getJson<{ run_id: string; error: { message: string } }>(store, `${prefix}${FAILED_MARKER}`))!;
      if (marker.run_id !== injector.runId || !marker.error.message.includes('injected fault')) problem('_FAILED.json does not describe the failure');
    }

    // A rerun on a healthy store publishes, and never shows the abandoned run.
    const rerun = new Injector(nextId());
    try {
      const published = await run(store, rerun);
      const pointer = (await getJson<LatestPointer>(store, LATEST_KEY))!;
      if (pointer.run_id !== published.runId) problem('the rerun did not publish');
      await checkComplete(store, pointer, problem);
      for (const doc of ['segments.json', 'history.json', 'migration.json', 'manifest.json']) {
        const text = Buffer.from((await store.get(`${pointer.prefix}${doc}`))!).toString('utf8');
        if (text.includes(injector.runId)) problem(`the rerun's ${doc} mentions the abandoned run`);
      }
      const migration = (await getJson<{ previous_run_id: string | null }>(store, `${pointer.prefix}migration.json`))!;
      if (migration.previous_run_id !== before.pointer.run_id) problem(`the rerun compared with ${migration.previous_run_id}, not the last published run`);
    } catch (error) {
      problem(`the rerun failed: ${String(error)}`);
    }
  }
  return result;
}

/** Every file the manifest lists exists with its size (and hash, for the documents); the manifest is the pointer's. */
async function checkComplete(store: ObjectStore, pointer: LatestPointer, problem: (what: string) => void): Promise<void> {
  const manifest = await getJson<ManifestDocument>(store, pointer.manifest);
  if (!manifest) return problem(`${pointer.manifest} is missing`);
  for (const file of manifest.files) {
    const bytes = await store.get(file.key);
    if (!bytes || bytes.byteLength !== file.bytes || (file.sha256 && sha(bytes) !== file.sha256)) problem(`${file.key} is missing or differs from the manifest`);
  }
}

function ids(start: number): () => string {
  let n = start;
  return () => runId(n++);
}

beforeAll(async () => {
  const base = defaultSegmentsConfig();
  // One persona language keeps the run at a few dozen objects (every one of them is a fault point).
  config = { ...base, personas: { ...base.personas, languages: ['en'] } } as SegmentsConfig;
  const lake = path.join(await tempDir('faults-lake'), 'lake');
  await generateLake({ customers: 1_200, seed: 5, out: lake, asOf: AS_OF });
  recording = await record(lake);
  server = await startS3Server([BUCKET]);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

function report(backend: string, result: SweepResult): void {
  const total = result.cases.before + result.cases.after + result.cases.down;
  console.log(
    `[fault-injection] ${backend}: ${total} cases (before ${result.cases.before}, after-write ${result.cases.after}, store-down ${result.cases.down}); ` +
      `${result.problems.length} problems; ${result.unmarked.length} store-down cases left an unmarked, unreferenced folder`,
  );
  for (const problem of result.problems) console.log(`[fault-injection] ${backend}: ${problem}`);
}

describe('fault injection at every call of a refresh', () => {
  it('keeps the last published run intact and publishable again after a fault anywhere: local folder', async () => {
    const store = new LocalObjectStore(await tempDir('faults-local'));
    const nextId = ids(1);
    await run(store, new Injector(nextId()));
    const result = await sweep(store, nextId);
    report('local', result);
    expect(result.problems).toEqual([]);
    expect(result.cases.before).toBeGreaterThan(80);
  }, 300_000);

  // On S3 the sweep covers what differs from a folder: a write that S3 stored but whose response was lost, at each
  // kind of write (one persona file stands for all of them). Engine faults do not depend on the store and are swept
  // above; the full sweep on s3rver takes six minutes, too long for every CI run.
  it('keeps the last published run intact and publishable again after a lost write response anywhere: S3 (s3rver)', async () => {
    const store = new S3ObjectStore({ client: server.client(), bucket: BUCKET, prefix: 'segments/' });
    const nextId = ids(10_001);
    await run(store, new Injector(nextId()));
    const result = await sweep(store, nextId, ['after'], (op) => op.replace(/\/(personas|quarantine|customer_segments|tables)\/.*$/, '/$1/*'));
    report('s3', result);
    expect(result.problems).toEqual([]);
    expect(result.cases.after).toBeGreaterThan(10);
  }, 300_000);
});
