import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { QueryFailedError } from '../../shared/errors.ts';
import { silentLogger } from '../../shared/logging.ts';
import { refreshSegments, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import type { ObjectStore } from '../../shared/stores/object-store.ts';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
}

/** A DuckDB engine over an empty lake: for running shared SQL expressions with the compat layer loaded. */
export async function scratchEngine(): Promise<DuckDbQueryEngine> {
  return DuckDbQueryEngine.open({ lakeDir: await tempDir('empty-lake'), threads: 2 });
}

/**
 * One refresh over `lakeDir` into `store` on a fresh DuckDB engine, with the materialize steps `failStep` picks
 * failing as an engine would: the publish-safety tests on every store share it.
 */
export async function refreshOnDuckDb(
  lakeDir: string,
  store: ObjectStore,
  asOf: string,
  failStep?: (step: string) => boolean,
): Promise<RefreshResult> {
  const engine = await DuckDbQueryEngine.open({ lakeDir, threads: 2 });
  const materialize = engine.materialize.bind(engine);
  engine.materialize = async (step, name, sql) => {
    if (failStep?.(step)) throw new QueryFailedError(`simulated failure in ${step}`, { step });
    return materialize(step, name, sql);
  };
  try {
    return await refreshSegments(
      { engine, store, clock: () => new Date(), log: silentLogger, toolVersion: 'test' },
      { asOf, config: defaultSegmentsConfig() },
    );
  } finally {
    await engine.close();
  }
}
