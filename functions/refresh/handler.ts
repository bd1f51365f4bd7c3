import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { readableIssues } from '../../shared/contracts/issues.ts';
import { RefreshEnvironment, RefreshEvent } from '../../shared/contracts/lambda.ts';
import { ConfigError, describeError } from '../../shared/errors.ts';
import { createLogger, jsonLinesSink, type Logger } from '../../shared/logging.ts';
import { awsRuntime, createAwsClients, type AwsClients } from '../../shared/pipeline/aws.ts';
import { runNightlyRefresh, type NightlyOutcome, type NightlyRuntime } from '../../shared/pipeline/nightly.ts';
import { TOOL_VERSION } from '../../shared/version.ts';

/**
 * The nightly refresh Lambda: parse the event and environment, compose the adapters, run the pipeline.
 * Failures are rethrown so Lambda retries the invocation (the run resumes from its query journal) and, when
 * retries are exhausted, sends it to the on-failure queue that the error alarm watches.
 */
export type RuntimeFactory = (env: RefreshEnvironment, log: Logger) => NightlyRuntime;

export function makeRefreshHandler(runtimeFor: RuntimeFactory, environment: () => NodeJS.ProcessEnv = () => process.env) {
  return async (rawEvent: unknown, context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>): Promise<NightlyOutcome> => {
    const log = createLogger(jsonLinesSink((line) => process.stdout.write(line))).child({ request_id: context.awsRequestId });
    try {
      const env = parse(RefreshEnvironment, environment(), 'environment');
      const event = parse(RefreshEvent, rawEvent ?? {}, 'event');
      const outcome = await runNightlyRefresh(env, event, runtimeFor(env, log), () => context.getRemainingTimeInMillis());
      log.log('info', 'refresh finished', { ...outcome });
      return outcome;
    } catch (error) {
      log.log('error', 'refresh failed', { error: describeError(error) });
      throw error;
    }
  };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = readableIssues(result.error);
  throw new ConfigError(`invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

let clients: AwsClients | undefined;

export const handler = makeRefreshHandler((env, log) => awsRuntime(env, (clients ??= createAwsClients()), log, TOOL_VERSION));
