import { InputError } from '../errors.ts';
import { isValidIsoDate } from '../sql/literals.ts';

/**
 * Which daily partitions a run reads. The lake's fact tables are partitioned by the UTC day of the row timestamp
 * (`dt=YYYY-MM-DD/` folders); a run reads the days up to its as-of date (later ones are a rerun's future), and an
 * incremental run only the days after its previous state.
 */
export interface PartitionWindow {
  /** Last day read (the as-of date). */
  readonly through: string;
  /** Days up to and including this one are already in the previous state; absent for a full run. */
  readonly after?: string;
}

const DAY_FOLDER = /(?:^|\/)dt=([^/]*)\//;
const HIVE_NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/**
 * The partition day of a file path or key, or null for a file outside any `dt=` folder. A `dt=` folder that is not
 * a calendar day (`dt=2026-13-45`, `dt=2026-1-5`) is an input error: compared as text it would be read as some
 * other day, or pruned as a future one, and Athena's partition projection would skip it.
 */
export function partitionDay(key: string): string | null {
  const day = DAY_FOLDER.exec(key)?.[1];
  // Hive's (and Spark's) folder for rows whose dt was null: no day, so read on every run and validated row by row.
  if (day === undefined || day === HIVE_NULL_PARTITION) return null;
  if (!isValidIsoDate(day)) {
    throw new InputError(`${key}: the partition folder dt=${day} is not a calendar day written YYYY-MM-DD; rename the folder`, { key, partition: day });
  }
  return day;
}

/** Whether a file is read. A file outside the `dt=` folders cannot be placed in time, so it is always read. */
export function inWindow(key: string, window: PartitionWindow | undefined): boolean {
  const day = partitionDay(key);
  if (!window || day === null) return true;
  return day <= window.through && (window.after === undefined || day > window.after);
}
