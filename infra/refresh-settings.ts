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
  /** IANA time zone the cron is read in; also the zone whose "yesterday" a run is as of (never a UTC day in progress). */
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
  // Why 512 MB. The function only orchestrates: Athena scans the lake and writes the per-customer tables, so
  // per-customer rows never pass through it. It holds SQL text, the query journal and the aggregated result rows
  // it builds the personas from, which grow with the number of segments rather than customers (a 20,000-customer
  // run: 36 personas, personas.json 1.4 MB). Measured: a cold import of the bundle peaks at ~66 MiB RSS, Node
  // alone ~37 MiB (npm run bundle-sizes, bench/results/lambda.json); an upload adds at most four 8 MiB parts.
  // So 256 MB would hold it. But Lambda allots CPU in proportion to memory (one vCPU at 1,769 MB), and 512 MB
  // (~0.3 vCPU) spends less time parsing the ~800 KB bundle at cold start, validating with zod and building
  // personas. Going higher mostly pays for waiting on Athena: at most 0.5 GB × 900 s ≈ $0.006 a run on arm64.
  // Used by the stack (cdk -c lambdaMemoryMb=… overrides it) and reported by scripts/bundle-sizes.ts.
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
