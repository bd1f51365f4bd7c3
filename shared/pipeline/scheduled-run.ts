import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.ts';
import { addDays } from '../time.ts';

/**
 * Which run a nightly invocation is. The schedule fires after midnight in the team's time zone, so the as-of date
 * is the day before the scheduled time there: the last complete day. The lake's days are UTC days (timestamps
 * without an offset, `dt=` partitions, the as-of cut-off), so east of UTC, where the local night is still the
 * previous UTC day, it is the day before the scheduled time in UTC: a run as of a day still in progress would
 * miss its late rows, and the next night's incremental run would not read that day's partition again.
 * The run id is derived from the scheduled time alone, so every retry of one firing (Lambda's async retries, the
 * scheduler's retries) is the same run and resumes its journal instead of starting, and paying for, a second one.
 */
export function asOfForScheduledTime(scheduledTime: Date, timeZone: string): string {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(scheduledTime);
  } catch {
    throw new ConfigError(`SCHEDULE_TIME_ZONE "${timeZone}" is not an IANA time zone`, [{ path: 'SCHEDULE_TIME_ZONE', message: 'unknown time zone' }]);
  }
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const localYesterday = addDays(`${get('year')}-${get('month')}-${get('day')}`, -1);
  const utcYesterday = addDays(scheduledTime.toISOString().slice(0, 10), -1);
  return localYesterday < utcYesterday ? localYesterday : utcYesterday;
}

export function scheduledRunId(asOf: string, scheduledTime: Date): string {
  const iso = scheduledTime.toISOString();
  const stamp = iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const tail = createHash('sha256').update(`schedule:${iso}`).digest('hex').slice(0, 6);
  return `${asOf}_${stamp}_${tail}`;
}
