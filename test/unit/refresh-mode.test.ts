import { describe, expect, it } from 'vitest';
import { STATE_VERSION, type StateManifest } from '../../shared/contracts/state.ts';
import { chooseRefreshMode, type ModeInput } from '../../shared/pipeline/refresh-mode.ts';

const state: StateManifest = {
  state_version: STATE_VERSION,
  run_id: 'r1',
  through: '2026-03-30',
  config_hash: 'abc',
  mode: 'incremental',
  full_run_id: 'r0',
  full_as_of: '2026-03-20',
  data_from: '2025-04-01T00:00:00.000Z',
  data_to: '2026-03-30T21:00:00.000Z',
  customers: 10,
};
const input = (over: Partial<ModeInput> = {}): ModeInput => ({
  asOf: '2026-03-31',
  forceFull: null,
  previous: state,
  stateConfigHash: 'abc',
  maxStateAgeDays: 7,
  fullEveryDays: 30,
  ...over,
});

describe('chooseRefreshMode', () => {
  it('updates a fresh state with the partitions after it', () => {
    expect(chooseRefreshMode(input())).toEqual({ mode: 'incremental', reason: 'partitions after 2026-03-30', after: '2026-03-30', previous: state });
  });

  it.each([
    ['asked for', input({ forceFull: 'full recompute requested' }), /^full recompute requested$/],
    ['the caller says why', input({ forceFull: 'the sample lake was regenerated' }), /^the sample lake was regenerated$/],
    ['no state', input({ previous: null }), /no feature state/],
    ['another state version', input({ previous: { ...state, state_version: STATE_VERSION + 1 } }), /version/],
    ['currency config changed', input({ stateConfigHash: 'xyz' }), /currency configuration changed/],
    ['a rerun of the same day', input({ asOf: '2026-03-30' }), /already covers 2026-03-30/],
    ['a backfill of an earlier day', input({ asOf: '2026-03-01' }), /already covers/],
    ['a state older than the limit', input({ asOf: '2026-04-07' }), /8 days old \(limit 7\)/],
    ['a full recompute due', input({ previous: { ...state, full_as_of: '2026-03-01' } }), /30 days ago/],
  ])('recomputes in full when %s', (_name, given, reason) => {
    const mode = chooseRefreshMode(given);
    expect(mode.mode).toBe('full');
    expect(mode.reason).toMatch(reason);
  });

  it('keeps updating up to the age limit', () => {
    expect(chooseRefreshMode(input({ asOf: '2026-04-06' })).mode).toBe('incremental');
  });
});
