import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Construct } from 'constructs';
import { parseSegmentsConfigText } from '../shared/contracts/config.ts';
import { ContextError, integerContext, optionalString } from './context.ts';

/** The repository root: relative paths in context (segmentsConfig) and the handler entries resolve against it. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Settings of the compute stack a deployment may override with `cdk -c key=value` or cdk.json `context`. */
export interface RefreshSettings {
  /** EventBridge Scheduler cron expression, `cron(minutes hours day-of-month month day-of-week year)`. */
  readonly scheduleCron: string;
  /** IANA time zone the cron is read in; also the zone whose "yesterday" a run is as of. */
  readonly scheduleTimeZone: string;
  /** Absolute path of the segments config deployed with the job (validated at synth). */
  readonly segmentsConfigPath: string;
  /** Where alarm notifications are emailed; without it, subscribe to the alarm topic yourself. */
  readonly alarmEmail?: string;
  readonly lambdaMemoryMb: number;
}

export const REFRESH_DEFAULTS = {
  // 02:30 leaves the nightly lake drops (usually written around midnight) time to land.
  scheduleCron: 'cron(30 2 * * ? *)',
  scheduleTimeZone: 'UTC',
  segmentsConfig: 'shared/segments/default-segments.config.json',
  // The function orchestrates Athena and summarises small result sets; per-customer rows never pass through it.
  // 512 MB leaves room for the SDK, four multipart uploads of 8 MiB in flight and the summaries, and buys more
  // CPU than 128 MB for parsing results.
  lambdaMemoryMb: 512,
} as const;

export function refreshSettingsFromContext(scope: Construct): RefreshSettings {
  const scheduleTimeZone = optionalString(scope, 'scheduleTimeZone') ?? REFRESH_DEFAULTS.scheduleTimeZone;
  if (!isTimeZone(scheduleTimeZone)) {
    throw new ContextError('scheduleTimeZone', `'${scheduleTimeZone}' is not an IANA time zone such as 'UTC' or 'Europe/Berlin'`);
  }
  const alarmEmail = optionalString(scope, 'alarmEmail');
  if (alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(alarmEmail)) {
    throw new ContextError('alarmEmail', `'${alarmEmail}' is not an email address`);
  }
  return {
    scheduleCron: cronContext(scope),
    scheduleTimeZone,
    segmentsConfigPath: segmentsConfigContext(scope),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    // Lambda's own limits.
    lambdaMemoryMb: integerContext(scope, 'lambdaMemoryMb', REFRESH_DEFAULTS.lambdaMemoryMb, 128, 10_240),
  };
}

/** Accepts `cron(…)` or just its six fields; checks the shape Scheduler would reject at deploy time. */
function cronContext(scope: Construct): string {
  const raw = optionalString(scope, 'scheduleCron') ?? REFRESH_DEFAULTS.scheduleCron;
  const fields = (/^cron\((.*)\)$/.exec(raw)?.[1] ?? raw).trim().split(/\s+/);
  const problem =
    fields.length !== 6
      ? `has ${fields.length} fields; EventBridge Scheduler cron takes 6 (minutes hours day-of-month month day-of-week year)`
      : (fields[2] === '?') === (fields[4] === '?')
        ? "needs '?' in exactly one of day-of-month and day-of-week"
        : undefined;
  if (problem !== undefined) throw new ContextError('scheduleCron', `'${raw}' ${problem}, e.g. '${REFRESH_DEFAULTS.scheduleCron}'`);
  return `cron(${fields.join(' ')})`;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The config is parsed here, so a bad one fails the synth naming the file, not the first nightly run. */
function segmentsConfigContext(scope: Construct): string {
  const given = optionalString(scope, 'segmentsConfig') ?? REFRESH_DEFAULTS.segmentsConfig;
  const file = path.resolve(PROJECT_ROOT, given);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ContextError('segmentsConfig', `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    parseSegmentsConfigText(text, file);
  } catch (error) {
    throw new ContextError('segmentsConfig', (error as Error).message);
  }
  return file;
}
