import { describe, expect, it } from 'vitest';
import { RefreshEnvironment, RefreshEvent } from '../../shared/contracts/lambda.ts';
import { ConfigError } from '../../shared/errors.ts';
import { asOfForScheduledTime, scheduledRunId } from '../../shared/pipeline/scheduled-run.ts';

const baseEnv = {
  LAKE_BUCKET: 'acme-lake',
  LAKE_FORMATS: 'orders=parquet,customers=csv,events=jsonl',
  LAKE_PARTITIONED_TABLES: 'orders,events',
  RESULTS_BUCKET: 'acme-results',
  WORK_PREFIX: 'work/',
  ATHENA_WORKGROUP: 'segments',
  GLUE_DATABASE: 'customer_segments',
};

describe('which run a scheduled invocation is', () => {
  it('takes the as-of date as the day before the scheduled time in the schedule’s zone', () => {
    const firing = new Date('2026-11-22T01:30:00Z');
    expect(asOfForScheduledTime(firing, 'UTC')).toBe('2026-11-21');
    // 02:30 on the 22nd in Berlin: yesterday is the 21st.
    expect(asOfForScheduledTime(firing, 'Europe/Berlin')).toBe('2026-11-21');
    // Still the evening of the 21st in Los Angeles: the last complete day there is the 20th.
    expect(asOfForScheduledTime(firing, 'America/Los_Angeles')).toBe('2026-11-20');
    // Across a month and year boundary, and on the night clocks change.
    expect(asOfForScheduledTime(new Date('2027-01-01T00:30:00Z'), 'Asia/Seoul')).toBe('2026-12-31');
    expect(asOfForScheduledTime(new Date('2026-03-29T01:30:00Z'), 'Europe/Oslo')).toBe('2026-03-28');
  });

  it('never takes a UTC day still in progress east of UTC, since the lake’s days are UTC days', () => {
    // 02:30 on the 11th in Tokyo is 17:30 UTC on the 10th: the 10th is not over in the lake.
    expect(asOfForScheduledTime(new Date('2024-03-10T17:30:00Z'), 'Asia/Tokyo')).toBe('2024-03-09');
    // From 09:00 in Tokyo both days agree again.
    expect(asOfForScheduledTime(new Date('2024-03-11T00:30:00Z'), 'Asia/Tokyo')).toBe('2024-03-10');
    expect(asOfForScheduledTime(new Date('2024-03-10T23:59:59Z'), 'Pacific/Kiritimati')).toBe('2024-03-09');
  });

  it('rejects an unknown time zone with a config error', () => {
    expect(() => asOfForScheduledTime(new Date(), 'Mars/Olympus')).toThrow(ConfigError);
  });

  it('gives every retry of one firing the same run id, and different firings different ids', () => {
    const firing = new Date('2026-11-22T01:30:00Z');
    const id = scheduledRunId('2026-11-21', firing);
    expect(id).toBe(scheduledRunId('2026-11-21', new Date('2026-11-22T01:30:00.000Z')));
    expect(id).toMatch(/^2026-11-21_20261122T013000Z_[0-9a-f]{6}$/);
    expect(scheduledRunId('2026-11-21', new Date('2026-11-22T01:31:00Z'))).not.toBe(id);
    // Run ids sort by as-of date first, like the ids of local runs.
    expect(scheduledRunId('2026-11-22', new Date('2026-11-23T01:30:00Z')) > id).toBe(true);
  });
});

describe('the refresh Lambda’s environment and event', () => {
  it('parses the environment with defaults and per-table lake formats', () => {
    const env = RefreshEnvironment.parse(baseEnv);
    expect(env.LAKE_FORMATS).toEqual({ orders: 'parquet', customers: 'csv', events: 'jsonl' });
    expect(env.LAKE_PARTITIONED_TABLES).toEqual(['orders', 'events']);
    expect(env.LAKE_PREFIX).toBe('');
    expect(env.SCHEDULE_TIME_ZONE).toBe('UTC');
    expect(env.MAX_CONCURRENT_QUERIES).toBe(4);
  });

  it.each([
    ['', []],
    [' events , orders ', ['orders', 'events']],
    ['orders,orders', ['orders']],
    ['customers', ['customers']],
  ])('reads LAKE_PARTITIONED_TABLES %j as the tables with the dt partition', (value, tables) => {
    expect(RefreshEnvironment.parse({ ...baseEnv, LAKE_PARTITIONED_TABLES: value }).LAKE_PARTITIONED_TABLES).toEqual(tables);
  });

  it('refuses an unknown table in LAKE_PARTITIONED_TABLES, naming it', () => {
    const result = RefreshEnvironment.safeParse({ ...baseEnv, LAKE_PARTITIONED_TABLES: 'orders,nope' });
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.path.join('.') === 'LAKE_PARTITIONED_TABLES');
    expect(issue?.message).toContain("'nope'");
    expect(issue?.message).not.toContain("'orders'");
  });

  it('requires LAKE_PARTITIONED_TABLES, so a stack that does not set it fails instead of never pruning', () => {
    const { LAKE_PARTITIONED_TABLES: _, ...without } = baseEnv;
    expect(RefreshEnvironment.safeParse(without).error?.issues.map((i) => i.path.join('.'))).toContain('LAKE_PARTITIONED_TABLES');
  });

  it.each([
    [{ LAKE_FORMATS: 'orders=parquet,customers=csv' }, 'LAKE_FORMATS.events'],
    [{ LAKE_FORMATS: 'orders=avro,customers=csv,events=csv' }, 'LAKE_FORMATS.orders'],
    [{ LAKE_PREFIX: '/lake' }, 'LAKE_PREFIX'],
    [{ WORK_PREFIX: '' }, 'WORK_PREFIX'],
    [{ GLUE_DATABASE: 'Customer-DB' }, 'GLUE_DATABASE'],
    [{ RESULTS_BUCKET: 'Not_A_Bucket' }, 'RESULTS_BUCKET'],
    [{ CONFIG_BUCKET: 'acme-config' }, 'CONFIG_KEY'],
    [{ MAX_CONCURRENT_QUERIES: '0' }, 'MAX_CONCURRENT_QUERIES'],
  ])('names the bad setting %j', (override, path) => {
    const result = RefreshEnvironment.safeParse({ ...baseEnv, ...override });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('accepts the scheduler’s event and rejects run ids that could escape the runs/ folder', () => {
    expect(RefreshEvent.parse({ scheduledTime: '2026-11-22T01:30:00Z' }).scheduledTime).toBe('2026-11-22T01:30:00Z');
    expect(RefreshEvent.safeParse({ runId: '../latest' }).success).toBe(false);
    expect(RefreshEvent.safeParse({ asOf: '2026-13-01' }).success).toBe(false);
  });
});
