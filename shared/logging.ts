/**
 * Structured logging. Library code logs through this interface only; the CLI renders it for humans on stderr or
 * as JSON lines, the Lambda handlers hand it to their JSON logger. Every record carries the run id once bound.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (record: { level: LogLevel; message: string; time: string } & LogFields) => void;

export function createLogger(sink: LogSink, bound: LogFields = {}, now: () => Date = () => new Date()): Logger {
  return {
    log(level, message, fields = {}) {
      sink({ time: now().toISOString(), level, message, ...bound, ...fields });
    },
    child(fields) {
      return createLogger(sink, { ...bound, ...fields }, now);
    },
  };
}

export const jsonLinesSink =
  (write: (line: string) => void): LogSink =>
  (record) =>
    write(`${JSON.stringify(record)}\n`);

export const silentLogger: Logger = createLogger(() => {});
