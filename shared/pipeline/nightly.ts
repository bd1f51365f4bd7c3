import { parseSegmentsConfigText, type SegmentsConfig } from '../contracts/config.ts';
import type { RefreshEnvironment, RefreshEvent } from '../contracts/lambda.ts';
import type { QueryEngine } from '../engines/query-engine.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../logging.ts';
import { defaultSegmentsConfig } from '../segments/default-config.ts';
import { acquireLease, type LeaseStore } from '../stores/lease.ts';
import type { ObjectStore } from '../stores/object-store.ts';
import { LATEST_KEY, QUERY_JOURNAL, newRunId, refreshSegments, runIdAsOf } from './refresh.ts';
import { readPreviousRun } from './run-documents.ts';
import { asOfForScheduledTime, scheduledRunId } from './scheduled-run.ts';

/**
 * The nightly refresh as a Lambda runs it, with the engine and stores supplied by the caller: Athena and S3 on
 * AWS, DuckDB and a local S3 server in the handler's end-to-end test. Deciding which run this invocation is,
 * loading the config, resuming and cleaning up live here, so the handler only parses and composes.
 */
export interface NightlyRuntime {
  /** Where results are published (the results bucket and prefix). */
  readonly results: ObjectStore;
  /** Reads the segments config object named by CONFIG_BUCKET/CONFIG_KEY. */
  readConfig(bucket: string, key: string): Promise<string | undefined>;
  /** The engine for one run; `journalKey` is where it may keep the ids of the queries it starts. */
  engineFor(run: { runId: string; journalKey: string; deadlineAt: number }): Promise<DisposableEngine>;
  readonly clock: () => Date;
  readonly log: Logger;
  readonly toolVersion: string;
  /**
   * The results' lease (`_lease.json` next to latest.json): one refresh at a time. It expires when the invocation's
   * time is up (plus LEASE_MARGIN_MS), since a Lambda cannot outlive that, so a timed-out invocation never blocks the
   * retry for long and no renewal is needed. Without one (tests), runs are not serialised.
   */
  readonly lease?: LeaseStore;
  /** Who holds the lease, for the operator reading `_lease.json` (e.g. the request id). */
  readonly holder?: string;
}

export const LEASE_MARGIN_MS = 60_000;

export type DisposableEngine = QueryEngine & { dispose?(): Promise<void> };

export interface NightlyOutcome {
  readonly run_id: string;
  readonly as_of: string;
  /** A backfill (as of a day before the published run's) is written beside it without moving latest.json. */
  readonly status: 'published' | 'already_published' | 'backfill_written';
  readonly customers?: number;
  readonly segments?: number;
  readonly prefix: string;
}

export async function runNightlyRefresh(
  env: RefreshEnvironment,
  event: RefreshEvent,
  runtime: NightlyRuntime,
  remainingMs: () => number,
): Promise<NightlyOutcome> {
  const now = runtime.clock();
  const scheduled = event.scheduledTime ? new Date(event.scheduledTime) : undefined;
  const asOf = asOfOf(event) ?? asOfForScheduledTime(scheduled ?? now, env.SCHEDULE_TIME_ZONE);
  const runId = event.runId ?? (scheduled ? scheduledRunId(asOf, scheduled) : newRunId(asOf, now));
  const prefix = `runs/${runId}/`;
  const log = runtime.log.child({ run_id: runId, as_of: asOf });

  // A retry after the publish succeeded (say the invocation timed out right after it) has nothing left to do.
  const latest = await readPreviousRun(runtime.results, LATEST_KEY, log);
  if (latest?.runId === runId) {
    log.log('info', 'run already published; nothing to do');
    return { run_id: runId, as_of: asOf, status: 'already_published', prefix };
  }

  const lease = runtime.lease
    ? await acquireLease(runtime.lease, {
        runId,
        clock: runtime.clock,
        ttlMs: remainingMs() + LEASE_MARGIN_MS,
        log,
        ...(runtime.holder ? { holder: runtime.holder } : {}),
      })
    : undefined;
  try {
    return await refreshHoldingLease(env, runtime, remainingMs, { asOf, runId, prefix, log, full: event.full ?? false });
  } finally {
    await lease?.release();
  }
}

async function refreshHoldingLease(
  env: RefreshEnvironment,
  runtime: NightlyRuntime,
  remainingMs: () => number,
  { asOf, runId, prefix, log, full }: { asOf: string; runId: string; prefix: string; log: Logger; full: boolean },
): Promise<NightlyOutcome> {
  const config = await loadConfig(env, runtime);
  const deadlineAt = runtime.clock().getTime() + remainingMs() - env.DEADLINE_MARGIN_SECONDS * 1000;
  const engine = await runtime.engineFor({ runId, journalKey: `${prefix}${QUERY_JOURNAL}`, deadlineAt });
  try {
    const result = await refreshSegments(
      { engine, store: runtime.results, clock: runtime.clock, log: runtime.log, toolVersion: runtime.toolVersion },
      { asOf, config, runId, ...(full ? { full } : {}) },
    );
    // Only a published run drops its working tables: a failed one keeps them for the retry that resumes it.
    await engine.dispose?.().catch((error: unknown) => log.log('warn', 'could not drop the run’s working tables', { error: String(error) }));
    return {
      run_id: runId,
      as_of: asOf,
      status: result.newerPublished ? 'backfill_written' : 'published',
      customers: result.segments.customers,
      segments: result.segments.segments.length,
      prefix: result.prefix,
    };
  } finally {
    await engine.close();
  }
}

/**
 * The as-of date an operator asked for: pinned, or that of the run to resume (run ids start with it; resuming
 * as of another day would run different statements than the journal holds).
 */
function asOfOf(event: RefreshEvent): string | undefined {
  const ofRun = event.runId === undefined ? undefined : runIdAsOf(event.runId);
  if (event.asOf && ofRun && event.asOf !== ofRun) {
    throw new ConfigError(`event asks for run ${event.runId} as of ${event.asOf}, but that run is as of ${ofRun}`, [{ path: 'asOf', message: `run ${event.runId} is as of ${ofRun}` }]);
  }
  return event.asOf ?? ofRun;
}

async function loadConfig(env: RefreshEnvironment, runtime: NightlyRuntime): Promise<SegmentsConfig> {
  if (!env.CONFIG_BUCKET || !env.CONFIG_KEY) return defaultSegmentsConfig();
  const source = `s3://${env.CONFIG_BUCKET}/${env.CONFIG_KEY}`;
  const text = await runtime.readConfig(env.CONFIG_BUCKET, env.CONFIG_KEY);
  if (text === undefined) throw new ConfigError(`segments config ${source} does not exist`, [{ path: 'CONFIG_KEY', message: 'no such object' }], { source });
  return parseSegmentsConfigText(text, source);
}
