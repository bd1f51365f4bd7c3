import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseSegmentsConfigText, type SegmentsConfig } from '../contracts/config.ts';
import { DuckDbQueryEngine } from '../engines/duckdb.ts';
import { ConfigError } from '../errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { defaultSegmentsConfig } from '../segments/default-config.ts';
import { acquireLease } from '../stores/lease.ts';
import { LocalLeaseStore } from '../stores/lease-local.ts';
import { LocalObjectStore } from '../stores/local.ts';
import { utcDate } from '../time.ts';
import { TOOL_VERSION } from '../version.ts';
import { newRunId, refreshSegments, type RefreshResult, type StageEvent } from './refresh.ts';

/**
 * DuckDB's buffer. The process peaks some 0.4–0.6 GiB above it (the allocator, Node), so a million customers
 * stay under 2 GiB; a larger buffer made that run no faster. DuckDB spills beyond it, but not every operator can:
 * three million customers need about 2.5GB. See BENCHMARKS.md.
 */
export const DEFAULT_MEMORY_LIMIT = '1400MB';

/** A local run holds `<out>/_lease.json` for this long and renews it every third of that while it runs. */
export const LOCAL_LEASE_TTL_MS = 10 * 60_000;

export interface LocalRefreshOptions {
  lakeDir: string;
  outDir: string;
  asOf?: string;
  configPath?: string;
  config?: SegmentsConfig;
  clock?: () => Date;
  log?: Logger;
  onStage?: (event: StageEvent) => void;
  threads?: number;
  memoryLimit?: string;
  /** Chosen by the caller (tests: a fixed id for deterministic output); a new one is made otherwise. */
  runId?: string;
  /** Recompute the feature state from every partition; a text says why (see RefreshInput.full). */
  full?: boolean | string;
  /** Lease lifetime; the lease is renewed every third of it (default LOCAL_LEASE_TTL_MS). */
  leaseTtlMs?: number;
}

export async function loadConfig(configPath: string | undefined): Promise<SegmentsConfig> {
  if (!configPath) return defaultSegmentsConfig();
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${configPath}: ${(error as Error).message}`, [], { file: configPath });
  }
  return parseSegmentsConfigText(text, configPath);
}

/** The embedded composition: DuckDB over a lake folder, results in a local folder. */
export async function refreshLocal(options: LocalRefreshOptions): Promise<RefreshResult> {
  const config = options.config ?? (await loadConfig(options.configPath));
  const clock = options.clock ?? (() => new Date());
  const asOf = options.asOf ?? utcDate(clock());
  const runId = options.runId ?? newRunId(asOf, clock());
  // Bound here, not only in the pipeline, so that the lease's and the engine's records carry the run too.
  const log = (options.log ?? silentLogger).child({ run_id: runId, as_of: asOf });
  // One refresh per output folder: a second one started meanwhile stops with RefreshAlreadyRunningError.
  const ttlMs = options.leaseTtlMs ?? LOCAL_LEASE_TTL_MS;
  const lease = await acquireLease(new LocalLeaseStore(options.outDir), { runId, clock, ttlMs, renewEveryMs: Math.max(1_000, Math.floor(ttlMs / 3)), log });
  try {
    return await refreshWithEngine(options, { asOf, config, clock, log, runId });
  } finally {
    await lease.release();
  }
}

async function refreshWithEngine(
  options: LocalRefreshOptions,
  { asOf, config, clock, log, runId }: { asOf: string; config: SegmentsConfig; clock: () => Date; log: Logger; runId: string },
): Promise<RefreshResult> {
  const engine = await DuckDbQueryEngine.open({
    lakeDir: options.lakeDir,
    threads: options.threads ?? Math.min(os.availableParallelism(), 4),
    memoryLimit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
    tempDir: path.join(os.tmpdir(), 'segments-duckdb'),
    log,
  });
  try {
    return await refreshSegments(
      { engine, store: new LocalObjectStore(options.outDir), clock, log, toolVersion: TOOL_VERSION, ...(options.onStage ? { onStage: options.onStage } : {}) },
      { asOf, config, runId, ...(options.full ? { full: options.full } : {}) },
    );
  } finally {
    await engine.close();
  }
}
