import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { SegmentsConfig } from './config.ts';

/**
 * The feature state a run keeps for the next one (shared/sql/state.ts): `runs/<run_id>/state/<grain>/` (Parquet,
 * one folder per grain) and this manifest beside it. Only a published run's state is ever read — the next run finds it through
 * latest.json — so a failed run can never leave a half-written state behind for the next night.
 */
export const STATE_VERSION = 1;
export const STATE_ROOT = 'state/';
export const stateFolder = (grain: string) => `${STATE_ROOT}${grain}/`;
export const STATE_MANIFEST = `${STATE_ROOT}state.json`;
/** The Glue table Athena reads a previous state's grain through (run partition, like the output tables). */
export const stateTableName = (grain: string) => `customer_state_${grain}`;

export const StateManifest = z.strictObject({
  state_version: z.number().int(),
  run_id: z.string(),
  /** Every partition up to this day (dt ≤ through) is in the state. */
  through: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** Hash of the configuration the state depends on (state_config_hash). */
  config_hash: z.string(),
  /** How this state was made, and from which state the chain of incremental runs started. */
  mode: z.enum(['full', 'incremental']),
  full_run_id: z.string(),
  full_as_of: z.string(),
  /** Oldest accepted row in the state: the run's data_from, which a run over new partitions alone cannot see. */
  data_from: z.string().nullable(),
  /** Newest accepted row in the state: freshness is judged on it when a night brings no new rows. */
  data_to: z.string().nullable(),
  /** Newest accepted row per dated table, so each table's freshness holds on a night that brings none of its rows. */
  newest: z.strictObject({ orders: z.string().nullable(), events: z.string().nullable() }).optional(),
  customers: z.number().int().nonnegative(),
});
export type StateManifest = z.infer<typeof StateManifest>;

/**
 * Only the currency rates change what the state holds (amounts are converted while staging); segment rules, RFM
 * and persona settings are applied to the state, so changing them needs no recompute.
 */
export function stateConfigHash(config: SegmentsConfig): string {
  const relevant = { state_version: STATE_VERSION, currency: config.currency ?? null };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}
