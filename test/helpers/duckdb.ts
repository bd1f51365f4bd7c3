import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { QueryFailedError } from '../../shared/errors.ts';
import { silentLogger } from '../../shared/logging.ts';
import { refreshSegments, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { TABLE_NAMES } from '../../shared/contracts/lake.ts';
import type { SegmentsConfig } from '../../shared/contracts/config.ts';
import { customerFeaturesSql, customerPreferencesSql } from '../../shared/sql/features.ts';
import { STATE_GRAINS, stateRelation, stateSql } from '../../shared/sql/state.ts';
import { STAGE_SQL } from '../../shared/sql/staging.ts';
import type { ObjectStore } from '../../shared/stores/object-store.ts';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
}

/** A DuckDB engine over an empty lake: for running shared SQL expressions with the compat layer loaded. */
export async function scratchEngine(): Promise<DuckDbQueryEngine> {
  return DuckDbQueryEngine.open({ lakeDir: await tempDir('empty-lake'), threads: 2 });
}

/**
 * One refresh over `lakeDir` into `store` on a fresh DuckDB engine, with the statements of the steps `failStep` picks
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
  const query = engine.query.bind(engine);
  const failIfPicked = (step: string) => {
    if (failStep?.(step)) throw new QueryFailedError(`simulated failure in ${step}`, { step });
  };
  engine.materialize = async (step, name, sql) => {
    failIfPicked(step);
    return materialize(step, name, sql);
  };
  engine.query = async (step, sql) => {
    failIfPicked(step);
    return query(step, sql);
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

/**
 * The refresh's statements up to customer_features on a prepared engine, for tests of the features and what reads
 * them: staging, the feature state of a full run, preferences, features.
 */
export async function buildFeatures(engine: DuckDbQueryEngine, asOf: string, config: SegmentsConfig = defaultSegmentsConfig()): Promise<void> {
  const rel = engine.relations;
  for (const table of TABLE_NAMES) await engine.materialize(`stage ${table}`, `stg_${table}`, STAGE_SQL[table](rel, { asOf, config }));
  for (const grain of STATE_GRAINS) await engine.materialize(`state ${grain}`, stateRelation(grain), stateSql(rel, grain, asOf, false));
  await engine.materialize('preferences', 'customer_preferences', customerPreferencesSql(rel));
  await engine.materialize('features', 'customer_features', customerFeaturesSql(rel, asOf));
}
