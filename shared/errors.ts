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

/** Writing results to the object store failed; the previous run stays published. */
export class PublishError extends SegmentsError {
  readonly exitCode = 1;
}

export function describeError(error: unknown): { name: string; message: string; context?: Record<string, unknown> } {
  if (error instanceof SegmentsError) return { name: error.name, message: error.message, context: error.context };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
