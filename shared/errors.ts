/**
 * The project's error tree. Every error carries the context an operator needs to act on it, and the CLI and the
 * Lambda handlers map the class (not the message) to an exit code or a failure.
 */
export abstract class SegmentsError extends Error {
  abstract readonly exitCode: number;
  readonly context: Record<string, unknown>;
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** A configuration file or option is invalid; `path` names the place in the file. Nothing has run yet. */
export class ConfigError extends SegmentsError {
  readonly exitCode = 3;
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
    context: Record<string, unknown> = {},
  ) {
    super(message, { ...context, issues }, {});
  }
}

/** The input lake is unusable as a whole (missing required table, unreadable file, missing required column). */
export class InputError extends SegmentsError {
  readonly exitCode = 3;
}

/** The run finished its queries but its result may not be published (coverage below 100%, stale data, …). */
export class QualityGateError extends SegmentsError {
  readonly exitCode = 4;
}

/** A query failed in the engine; carries the step, the engine's query id when it has one, and the SQL. */
export class QueryFailedError extends SegmentsError {
  readonly exitCode = 1;
}

/**
 * The embedded engine ran out of its buffer in a step it cannot spill (DuckDB spills most, not all, operators).
 * Nothing was published; the same run succeeds with a larger buffer.
 */
export class EngineOutOfMemoryError extends QueryFailedError {}

/** What Athena said about a query that ended FAILED or CANCELLED. */
export interface AthenaQueryFailure {
  readonly step: string;
  readonly queryId: string;
  readonly state: 'FAILED' | 'CANCELLED';
  readonly reason?: string;
  readonly errorCategory?: number;
  readonly errorType?: number;
  readonly retryable?: boolean;
  readonly errorMessage?: string;
  /** How many queries were started for the statement before giving up (transient failures are restarted). */
  readonly attempts?: number;
}

/** An Athena query ended FAILED or CANCELLED; the query id finds it in the console and in CloudTrail. */
export class AthenaQueryError extends QueryFailedError {
  readonly step: string;
  readonly queryId: string;
  readonly state: 'FAILED' | 'CANCELLED';
  readonly reason: string | undefined;
  readonly retryable: boolean;
  constructor(message: string, failure: AthenaQueryFailure, options?: { cause?: unknown }) {
    super(message, { ...failure }, options);
    this.step = failure.step;
    this.queryId = failure.queryId;
    this.state = failure.state;
    this.reason = failure.reason;
    this.retryable = failure.retryable === true;
  }
}

/**
 * The run's time budget (the Lambda's remaining time) ran out. A query still running was stopped; none is started
 * after the deadline. The journal lets a retry of the same run resume from the statements that finished.
 */
export class QueryDeadlineError extends QueryFailedError {
  readonly step: string;
  readonly queryId: string | undefined;
  readonly deadlineAt: number;
  constructor(message: string, details: { step: string; queryId?: string; deadlineAt: number }) {
    super(message, { ...details });
    this.step = details.step;
    this.queryId = details.queryId;
    this.deadlineAt = details.deadlineAt;
  }
}

/**
 * Another refresh holds the output's lease (`_lease.json`): it is running now, or crashed less than the lease's
 * lifetime ago. Nothing was read or written; run again later (an expired lease is taken over automatically).
 */
export class RefreshAlreadyRunningError extends SegmentsError {
  readonly exitCode = 5;
}

/** Writing results to the object store failed; the previous run stays published. */
export class PublishError extends SegmentsError {
  readonly exitCode = 1;
}

export function describeError(error: unknown): { name: string; message: string; context?: Record<string, unknown> } {
  if (error instanceof SegmentsError) return { name: error.name, message: error.message, context: error.context };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
