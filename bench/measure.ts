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

/** Peak resident memory, sampled every 20 ms; takePeak() reports the peak since the last call and starts over. */
export class MemorySampler {
  #peak = 0;
  #timer: NodeJS.Timeout;
  constructor() {
    this.sample();
    this.#timer = setInterval(() => this.sample(), 20);
    this.#timer.unref();
  }
  sample() {
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
  }
  takePeak(): number {
    this.sample();
    const peak = this.#peak;
    this.#peak = process.memoryUsage.rss();
    return peak;
  }
  stop() {
    clearInterval(this.#timer);
  }
}

export async function measured<T>(step: () => Promise<T>): Promise<Measured<T>> {
  const sampler = new MemorySampler();
  const started = performance.now();
  try {
    const value = await step();
    const ms = performance.now() - started;
    return { value, ms, peakRssBytes: sampler.takePeak() };
  } finally {
    sampler.stop();
  }
}

/** The middle value; of an even count the lower middle, so the median is always one of the measured runs. */
export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
