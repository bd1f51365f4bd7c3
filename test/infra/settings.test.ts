import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { dataStackSettingsFromContext } from '../../infra/data-settings.ts';
import { PROJECT_ROOT, REFRESH_DEFAULTS, refreshSettingsFromContext } from '../../infra/refresh-settings.ts';
import { buildSegmentsApp } from '../../infra/segments-app.ts';

const refreshSettings = (context: Record<string, unknown>) => refreshSettingsFromContext(new App({ context }));
const dataSettings = (context: Record<string, unknown>) => dataStackSettingsFromContext(new App({ context }));
const dir = mkdtempSync(path.join(tmpdir(), 'segments-infra-'));
const configFile = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const defaultConfig = path.join(PROJECT_ROOT, REFRESH_DEFAULTS.segmentsConfig);

describe('refresh settings from context', () => {
  it('defaults to a nightly UTC schedule, the shipped config, 512 MB and no email', () => {
    expect(refreshSettings({})).toEqual({
      scheduleCron: 'cron(30 2 * * ? *)',
      scheduleTimeZone: 'UTC',
      segmentsConfigPath: defaultConfig,
      lambdaMemoryMb: 512,
    });
  });

  it('accepts what `cdk -c` passes: strings, with empty ones meaning the default', () => {
    expect(
      refreshSettings({ scheduleCron: 'cron(15 5 ? * SUN *)', scheduleTimeZone: 'America/New_York', alarmEmail: 'ops@example.com', lambdaMemoryMb: '2048', segmentsConfig: '' }),
    ).toEqual({
      scheduleCron: 'cron(15 5 ? * SUN *)',
      scheduleTimeZone: 'America/New_York',
      alarmEmail: 'ops@example.com',
      lambdaMemoryMb: 2048,
      segmentsConfigPath: defaultConfig,
    });
  });

  it.each([
    [{ scheduleCron: 'cron(30 2 * * *)' }, "context scheduleCron: 'cron(30 2 * * *)' has 5 fields; EventBridge Scheduler cron takes 6"],
    [{ scheduleCron: 'cron(30 2 * * * *)' }, "needs '?' in exactly one of day-of-month and day-of-week"],
    [{ scheduleTimeZone: 'Mars/Olympus_Mons' }, "context scheduleTimeZone: 'Mars/Olympus_Mons' is not an IANA time zone"],
    [{ alarmEmail: 'oncall' }, "context alarmEmail: 'oncall' is not an email address"],
    [{ lambdaMemoryMb: '64' }, 'context lambdaMemoryMb: expected an integer from 128 to 10240, got "64"'],
    [{ lambdaMemoryMb: 'lots' }, 'context lambdaMemoryMb: expected an integer from 128 to 10240, got "lots"'],
    [{ scheduleCron: 42 }, 'context scheduleCron: expected a string, got 42'],
  ])('rejects %j', (context, message) => {
    expect(() => refreshSettings(context)).toThrow(message);
  });
});

describe('data settings from context', () => {
  it('defaults to an all-Parquet lake at the bucket root, orders and events partitioned by day', () => {
    expect(dataSettings({})).toMatchObject({
      lakePrefix: '',
      resultsPrefix: '',
      lakeFormats: { orders: 'parquet', customers: 'parquet', events: 'parquet' },
      lakePartitionedTables: ['orders', 'events'],
    });
  });

  it.each([
    [{ lakePrefix: 'exports' }, "context lakePrefix: 'exports' must be empty or folder names"],
    [{ resultsPrefix: 'a b/' }, "context resultsPrefix: 'a b/' must be empty or folder names"],
    [{ lakeFormats: '{"orders":' }, 'context lakeFormats: \'{"orders":\' is not a JSON object'],
    [{ lakeFormats: { orders: 1 } }, 'context lakeFormats: expected an object of strings'],
    [{ lakePartitionedTables: '["orders", 3]' }, 'context lakePartitionedTables: expected a list of strings'],
    [{ runRetentionDays: 0 }, 'context runRetentionDays: expected an integer >= 1, got 0'],
  ])('rejects %j', (context, message) => {
    expect(() => dataSettings(context)).toThrow(message);
  });
});

describe('segments config', () => {
  it('is validated at synth: an invalid config fails naming the file and the field', () => {
    const config = JSON.parse(readFileSync(defaultConfig, 'utf8')) as { lifecycle: Record<string, unknown> };
    config.lifecycle.activeWithinDays = 'ninety';
    const file = configFile('bad.config.json', JSON.stringify(config));
    expect(() => buildSegmentsApp({ context: { segmentsConfig: file } })).toThrow(
      new RegExp(`^context segmentsConfig: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid:\\n  lifecycle\\.activeWithinDays: `),
    );
  });

  it('fails on text that is not JSON, naming the file', () => {
    const file = configFile('broken.config.json', '{ "version": 1,');
    expect(() => refreshSettings({ segmentsConfig: file })).toThrow(`context segmentsConfig: ${file}:1:16 is not valid JSON`);
  });

  it('fails on a missing file, naming the resolved path', () => {
    expect(() => refreshSettings({ segmentsConfig: 'configs/missing.json' })).toThrow(
      `context segmentsConfig: cannot read ${path.join(PROJECT_ROOT, 'configs/missing.json')}`,
    );
  });

  it('resolves a relative path against the project root', () => {
    expect(refreshSettings({ segmentsConfig: 'shared/segments/default-segments.config.json' }).segmentsConfigPath).toBe(defaultConfig);
  });
});
