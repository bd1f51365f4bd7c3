/**
 * Wall time and peak resident memory of one benchmark step. DuckDB runs inside this process, so the process's
 * RSS covers both the JavaScript heap and DuckDB's buffers; it is sampled every 20 ms while the step runs (the
 * kernel's VmHWM cannot be reset between steps).
 */
export interface Measured<T> {
  readonly value: T;
  readonly ms: number;
  /** Highest RSS of the whole process seen during the step, including what it held before. */
  readonly peakRssBytes: number;
}

export async function measured<T>(step: () => Promise<T>): Promise<Measured<T>> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  try {
    const value = await step();
    const ms = performance.now() - started;
    return { value, ms, peakRssBytes: Math.max(peak, process.memoryUsage.rss()) };
  } finally {
    clearInterval(timer);
  }
}
