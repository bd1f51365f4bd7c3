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

const DAY_FOLDER = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})\//;

/** The partition day of a file path or key, or null for a file outside any `dt=` folder. */
export function partitionDay(key: string): string | null {
  return DAY_FOLDER.exec(key)?.[1] ?? null;
}

/** Whether a file is read. A file outside the `dt=` folders cannot be placed in time, so it is always read. */
export function inWindow(key: string, window: PartitionWindow | undefined): boolean {
  const day = partitionDay(key);
  if (!window || day === null) return true;
  return day <= window.through && (window.after === undefined || day > window.after);
}
