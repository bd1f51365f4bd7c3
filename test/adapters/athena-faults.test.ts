import type { ResultSet } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaQueryEngine } from '../../shared/engines/athena.ts';
import { sanitizeRunId } from '../../shared/engines/athena-statements.ts';
import { objectStoreJournal } from '../../shared/engines/query-journal.ts';
import { AthenaQueryError } from '../../shared/errors.ts';
import { silentLogger } from '../../shared/logging.ts';
import { FAILED_MARKER, LATEST_KEY, QUERY_JOURNAL, refreshSegments, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import type { SegmentsConfig } from '../../shared/contracts/config.ts';
import { LocalObjectStore } from '../../shared/stores/local.ts';
import { FakeAthena, type Status } from './athena-fake-client.ts';
import { MemoryStore } from './athena-fakes.ts';
import { AS_OF, DATABASE, FORMATS, PARTITIONED, PREVIOUS_RUN_ID, RUN_ID, asResultPages, clock, duckReplay, type DuckReplay } from './athena-replay.ts';

/**
 * Fault injection at every Athena statement of a run. The run is replayed through the mocked client (results from a
 * DuckDB run of the same lake); for each statement i a new run has the i-th query end FAILED (non-retryable), must
 * fail naming the step and leave the published run untouched; then the same run id is resumed on a healthy Athena,
 * with the same query journal: it publishes, and re-starts only the failed statement and those after it.
 */
const HOUR = 3_600_000;
const FAILED: Status[] = [{ State: 'FAILED', StateChangeReason: 'injected', AthenaError: { ErrorCategory: 2, Retryable: false } }];

let replay: DuckReplay;
let config: SegmentsConfig;
let fake: FakeAthena;
/** The results bucket holding one published run (RUN_ID), copied for each case. */
let base: MemoryStore;

/** Athena's clock, shared by the fake (SubmissionDateTime) and the engines: a retried invocation comes later. */
let nowMs = Date.parse('2026-04-01T01:30:00Z');
/** The results store and step of the statement being started (the pipeline runs statements one at a time). */
let currentStore: MemoryStore;
let currentStep = '';
/** The run whose statements are being started (replay lookups normalize its id). */
let currentRunId = RUN_ID;
/** Result pages per statement, run ids replaced by placeholders; filled by the step-wise replay of the first run. */
const pagesBySql = new Map<string, ResultSet[]>();
let stepReplies: Map<string, unknown[][]> | undefined;
/** Every started query's step, by query id. */
const stepById = new Map<string, string>();

/** Run ids in SQL as placeholders, so statements of different runs compare. */
function normalize(sql: string, runId: string, previousRunId: string): string {
  let out = sql;
  for (const [id, placeholder] of [
    [runId, '<run>'],
    [previousRunId, '<previous>'],
  ] as const) {
    out = out.split(id).join(placeholder).split(sanitizeRunId(id)).join(placeholder);
  }
  return out;
}

function caseRunId(n: number): string {
  return `2026-03-31_20260402T013000Z_${n.toString(16).padStart(6, '0')}`;
}

function ok(): Status[] {
  const at = new Date(nowMs);
  return [
    { State: 'RUNNING', SubmissionDateTime: at },
    { State: 'SUCCEEDED', SubmissionDateTime: at },
  ];
}

function copy(store: MemoryStore): MemoryStore {
  const out = new MemoryStore('s3://results/');
  for (const [key, body] of store.objects) out.objects.set(key, body.slice());
  return out;
}

function engine(runId: string, store: MemoryStore, scratch: MemoryStore): AthenaQueryEngine {
  const athena = new AthenaQueryEngine({
    client: fake.client,
    workGroup: 'segments',
    database: DATABASE,
    runId,
    lake: { store: new LocalObjectStore(replay.lake), root: 's3://lake/', formats: FORMATS, partitioned: PARTITIONED },
    scratch,
    journal: objectStoreJournal(store, `runs/${runId}/${QUERY_JOURNAL}`),
    now: () => nowMs,
    sleep: async () => {},
    random: () => 0.5,
  });
  const query = athena.query.bind(athena);
  const materialize = athena.materialize.bind(athena);
  const unload = athena.unload.bind(athena);
  athena.query = (step, sql) => ((currentStep = step), query(step, sql));
  athena.materialize = (step, name, sql) => ((currentStep = step), materialize(step, name, sql));
  athena.unload = (step, sql, target) => ((currentStep = step), unload(step, sql, target));
  return athena;
}

async function refresh(runId: string, store: MemoryStore, scratch: MemoryStore): Promise<{ result: RefreshResult; athena: AthenaQueryEngine }> {
  currentStore = store;
  const athena = engine(runId, store, scratch);
  const result = await refreshSegments({ engine: athena, store, clock, log: silentLogger, toolVersion: 'test' }, { asOf: AS_OF, config, runId });
  return { result, athena };
}

/** The queries started since `from` (fake.started index), with their ids. */
function startedSince(from: number): { id: string; sql: string }[] {
  return [...fake.sqlById.entries()]
    .filter(([id]) => /^q\d+$/.test(id))
    .slice(from)
    .map(([id, sql]) => ({ id, sql }));
}

function objectsOutside(store: MemoryStore, prefix: string): Map<string, string> {
  return new Map(store.keys().filter((k) => !k.startsWith(prefix)).map((k) => [k, Buffer.from(store.objects.get(k)!).toString('base64')]));
}

/** A document without its provenance, and with its run id (personas carry it too) as a placeholder. */
const comparable = (doc: { provenance: object }, runId: string) => JSON.stringify({ ...doc, provenance: undefined }).split(runId).join('<run>');

beforeAll(async () => {
  const defaults = defaultSegmentsConfig();
  config = { ...defaults, personas: { ...defaults.personas, languages: ['en'] } } as SegmentsConfig;
  replay = await duckReplay({ customers: 1_000, name: 'athena-faults' });
  fake = new FakeAthena();
  fake.plan = () => ok();
  fake.onStart = (input, queryId) => {
    const sql = input.QueryString ?? '';
    stepById.set(queryId, currentStep);
    const unloadTarget = /^UNLOAD \([\s\S]*\) TO 's3:\/\/results\/([^']+)'/.exec(sql)?.[1];
    // What Athena's UNLOAD would leave behind: a Parquet part under the target prefix.
    if (unloadTarget) currentStore.add(`${unloadTarget}part-0000.parquet`, 64);
    if (/^(CREATE|DROP|UNLOAD)\b/.test(sql)) return;
    if (stepReplies) {
      const reply = stepReplies.get(currentStep)?.shift();
      if (reply) {
        const pages = asResultPages(reply as never);
        pagesBySql.set(normalize(sql, RUN_ID, PREVIOUS_RUN_ID), pages);
        fake.results(queryId, pages);
      }
      return;
    }
    const pages = pagesBySql.get(normalize(sql, currentRunId, RUN_ID));
    if (pages) fake.results(queryId, pages);
  };

  // The published run, replayed step by step from DuckDB (config with one persona language, as DuckDB ran the
  // default config: the queries do not depend on the languages).
  base = new MemoryStore('s3://results/');
  await base.put(LATEST_KEY, replay.previousPointer);
  base.add(`runs/${PREVIOUS_RUN_ID}/customer_segments/part-0000.parquet`, 64);
  stepReplies = new Map([...replay.replies].map(([step, rows]) => [step, [...rows]]));
  currentRunId = RUN_ID;
  await refresh(RUN_ID, base, new MemoryStore(`s3://results/work/${RUN_ID}/`));
  stepReplies = undefined;
}, 120_000);

afterAll(() => fake?.restore());

describe('fault injection at every Athena statement of a run', () => {
  it('fails naming the step, keeps the published run, and resumes from the journal re-running only what had not succeeded', async () => {
    // One good run after the published one: the statements every case runs.
    const goodId = caseRunId(0);
    currentRunId = goodId;
    const from = fake.started.length;
    const good = await refresh(goodId, copy(base), new MemoryStore(`s3://results/work/${goodId}/`));
    const goodStarted = startedSince(from);
    const statements = goodStarted.map((s) => normalize(s.sql, goodId, RUN_ID));
    const steps = goodStarted.map((s) => stepById.get(s.id)!);
    expect(statements.length).toBeGreaterThan(15);
    expect(good.result.migration.previous_run_id).toBe(RUN_ID);

    const problems: string[] = [];
    const counts = { failed: 0, resumed: 0, reused: 0 };
    for (let i = 0; i < statements.length; i++) {
      const runId = caseRunId(i + 1);
      currentRunId = runId;
      const label = `statement ${i} (${steps[i]}: ${statements[i]!.slice(0, 60).replace(/\s+/g, ' ')}…)`;
      const problem = (what: string) => problems.push(`${label}: ${what}`);
      const store = copy(base);
      const scratch = new MemoryStore(`s3://results/work/${runId}/`);
      const prefix = `runs/${runId}/`;
      const before = objectsOutside(store, prefix);
      const latestBefore = Buffer.from(store.objects.get(LATEST_KEY)!);

      // The run with the i-th query failing.
      let n = 0;
      fake.plan = () => (n++ === i ? FAILED.map((s) => ({ ...s, SubmissionDateTime: new Date(nowMs) })) : ok());
      const failedFrom = fake.started.length;
      try {
        await refresh(runId, store, scratch);
        problem('the run did not fail');
        continue;
      } catch (error) {
        if (!(error instanceof AthenaQueryError)) problem(`failed with ${String(error)}, not an AthenaQueryError`);
        else {
          if (error.step !== steps[i]) problem(`the error names step "${error.step}", not "${steps[i]}"`);
          if (!error.message.includes(`"${steps[i]}"`) || !error.message.includes('injected')) problem(`the message does not say what failed: ${error.message}`);
          if (error.state !== 'FAILED' || error.retryable) problem(`error state ${error.state}, retryable ${error.retryable}`);
        }
      }
      counts.failed++;
      const failedRun = startedSince(failedFrom);
      const sent = failedRun.map((s) => normalize(s.sql, runId, RUN_ID));
      if (JSON.stringify(sent) !== JSON.stringify(statements.slice(0, i + 1))) problem(`the failed run started ${sent.length} statements, not the first ${i + 1}`);
      if (!Buffer.from(store.objects.get(LATEST_KEY)!).equals(latestBefore)) problem('latest.json changed');
      const after = objectsOutside(store, prefix);
      if (after.size !== before.size || [...before].some(([k, v]) => after.get(k) !== v)) problem('objects outside the failed run changed');
      if (!store.objects.has(`${prefix}${FAILED_MARKER}`)) problem('no _FAILED.json');
      // Housekeeping DROPs are not journaled: a run that failed on its very first statement has no journal yet.
      const journaled = statements.slice(0, i + 1).some((s) => !/^DROP\b/.test(s));
      if (store.objects.has(`${prefix}${QUERY_JOURNAL}`) !== journaled) problem(`query journal present: ${!journaled}`);

      // The retried invocation: same run id, same journal, healthy Athena, later.
      nowMs += HOUR;
      fake.plan = () => ok();
      const resumeFrom = fake.started.length;
      const startCallsFrom = fake.startCalls.length;
      let resumed: { result: RefreshResult; athena: AthenaQueryEngine };
      try {
        resumed = await refresh(runId, store, scratch);
      } catch (error) {
        problem(`the resume failed: ${String(error)}`);
        continue;
      }
      const pointer = JSON.parse(Buffer.from(store.objects.get(LATEST_KEY)!).toString('utf8')) as { run_id: string };
      if (pointer.run_id !== runId) problem(`latest.json points at ${pointer.run_id} after the resume`);
      if (store.objects.has(`${prefix}${FAILED_MARKER}`)) problem('_FAILED.json left after the resume');
      for (const doc of ['segments', 'personas', 'migration'] as const) {
        if (comparable(resumed.result[doc], runId) !== comparable(good.result[doc], goodId)) problem(`the resumed run has other ${doc} than the good run`);
      }
      counts.resumed++;

      // Started again: the failed statement and every one after it — and, for a failed CTAS, the DROP that
      // clears its table before the new attempt. Nothing that had succeeded before the fault.
      const restarted = startedSince(resumeFrom).map((s) => normalize(s.sql, runId, RUN_ID));
      const redrop = /^CREATE\b/.test(statements[i]!) && i > 0 && /^DROP\b/.test(statements[i - 1]!) ? [statements[i - 1]!] : [];
      const expected = [...redrop, ...statements.slice(i)];
      if (JSON.stringify(restarted) !== JSON.stringify(expected)) {
        problem(`the resume started ${restarted.length} statements, expected ${expected.length}: ${restarted.map((s) => s.slice(0, 40)).join(' | ')}`);
      }
      // A start whose token an earlier invocation used returns that query: only a failed DROP (not journaled) does.
      const extraCalls = fake.startCalls.length - startCallsFrom - restarted.length;
      if (extraCalls !== (/^DROP\b/.test(statements[i]!) ? 1 : 0)) problem(`${extraCalls} StartQueryExecution calls returned an earlier query`);
      const earlier = new Set(failedRun.map((s) => s.id));
      const reused = resumed.athena.stats.filter((s) => s.queryId !== undefined && earlier.has(s.queryId));
      const journaledBefore = statements.slice(0, i).filter((s) => !/^DROP\b/.test(s)).length;
      if (reused.length !== journaledBefore) problem(`${reused.length} queries reused, expected ${journaledBefore}`);
      counts.reused += reused.length;
    }

    console.log(`[athena-faults] ${statements.length} statements: ${counts.failed} failed runs, ${counts.resumed} resumed, ${counts.reused} queries reused`);
    for (const p of problems) console.log(`[athena-faults] ${p}`);
    expect(problems).toEqual([]);
    expect(counts.failed).toBe(statements.length);
    expect(counts.resumed).toBe(statements.length);
  }, 120_000);
});
