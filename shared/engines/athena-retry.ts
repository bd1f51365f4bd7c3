/**
 * Pacing for the Athena adapter: backoff with full jitter (for polling and for throttled API calls), the rule for
 * which API errors are worth retrying, and a semaphore that caps queries in flight. Time is injected (sleep,
 * random) so tests run instantly and deterministically.
 */

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

/** The upper bound of the n-th wait (n from 0): exponential, capped. */
export function backoffCeiling(n: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** n);
}

/**
 * The n-th wait with full jitter: uniform in [0, ceiling]. Many Lambdas polling or retrying at once would otherwise
 * hit the API in lock-step and be throttled together again.
 */
export function jitteredDelay(n: number, backoff: Backoff, random: () => number): number {
  return Math.round(backoffCeiling(n, backoff) * random());
}

/**
 * Errors that say "not now" rather than "no": throttling (the account's API rate or its concurrent-query limit) and
 * Athena's own transient faults. Whatever the SDK client retries itself is tuned for blips of milliseconds; a limit
 * of concurrent queries held by other jobs lasts seconds to minutes, hence this slower layer.
 */
const RETRYABLE_NAMES = new Set(['TooManyRequestsException', 'ThrottlingException', 'InternalServerException']);

export function isRetryableApiError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $retryable } = error as { name?: unknown; $retryable?: unknown };
  return (typeof name === 'string' && RETRYABLE_NAMES.has(name)) || Boolean($retryable);
}

export interface RetryPolicy extends Backoff {
  /** Calls in all, the first included. */
  readonly attempts: number;
}

export interface RetryContext {
  readonly policy: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Called before each wait; may throw (e.g. when the wait would cross the run's deadline). */
  readonly beforeRetry?: (info: { error: unknown; attempt: number; delayMs: number }) => void;
}

/** Calls `call` until it succeeds, retrying retryable errors with backoff; anything else is rethrown at once. */
export async function withRetries<T>(call: () => Promise<T>, context: RetryContext): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryableApiError(error) || attempt >= context.policy.attempts) throw error;
      const delayMs = jitteredDelay(attempt - 1, context.policy, context.random);
      context.beforeRetry?.({ error, attempt, delayMs });
      await context.sleep(delayMs);
    }
  }
}

/** At most `limit` holders at once; the rest wait in arrival order. */
export class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a semaphore needs a limit of at least 1, got ${limit}`);
    this.#free = limit;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter, so a late arrival cannot overtake it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}
