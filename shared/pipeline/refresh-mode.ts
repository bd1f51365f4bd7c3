import { STATE_VERSION, type StateManifest } from '../contracts/state.ts';
import { daysBetween } from '../time.ts';

/**
 * Full or incremental: an incremental run reads only the partitions after the previous state's day and merges
 * them into that state; anything that could make the merge differ from a full recompute makes it a full run.
 */
export type RefreshMode =
  | { readonly mode: 'full'; readonly reason: string }
  | { readonly mode: 'incremental'; readonly reason: string; readonly after: string; readonly previous: StateManifest };

export interface ModeInput {
  readonly asOf: string;
  /** Why the caller wants a full recompute (--full, the Lambda event's `full`, a regenerated sample lake); null if it does not. */
  readonly forceFull: string | null;
  /** The state of the run latest.json points at; null when there is none or it could not be read. */
  readonly previous: StateManifest | null;
  readonly stateConfigHash: string;
  /** A state older than this many days is recomputed rather than caught up. */
  readonly maxStateAgeDays: number;
  /**
   * Days after a full recompute when the next one is due however fresh the state is: it bounds what a merge cannot
   * see — customers deleted from the lake, refund lines booked on an order id from an earlier partition.
   */
  readonly fullEveryDays: number;
}

export function chooseRefreshMode(input: ModeInput): RefreshMode {
  const { previous } = input;
  if (input.forceFull) return { mode: 'full', reason: input.forceFull };
  if (!previous) return { mode: 'full', reason: 'no feature state from a previous run' };
  if (previous.state_version !== STATE_VERSION) {
    return { mode: 'full', reason: `the feature state has version ${previous.state_version}, this tool writes ${STATE_VERSION}` };
  }
  if (previous.config_hash !== input.stateConfigHash) return { mode: 'full', reason: 'the currency configuration changed since the feature state was built' };
  if (previous.through >= input.asOf) {
    return { mode: 'full', reason: `the feature state already covers ${previous.through}, not before the as-of date ${input.asOf} (a rerun or a backfill)` };
  }
  const age = daysBetween(previous.through, input.asOf);
  if (age > input.maxStateAgeDays) {
    return { mode: 'full', reason: `the feature state is ${age} days old (limit ${input.maxStateAgeDays}); recomputing instead of catching up` };
  }
  const sinceFull = daysBetween(previous.full_as_of, input.asOf);
  if (sinceFull >= input.fullEveryDays) {
    return { mode: 'full', reason: `the last full recompute was ${sinceFull} days ago (every ${input.fullEveryDays} days)` };
  }
  return { mode: 'incremental', reason: `partitions after ${previous.through}`, after: previous.through, previous };
}
