import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RefreshEnvironmentName } from '../shared/contracts/lambda.ts';
import { HANDLER_BUNDLING, HANDLER_RUNTIME } from './bundling.ts';
import { failureQueue } from './failure-queue.ts';
import { acknowledge } from './nag.ts';
import { PROJECT_ROOT } from './refresh-settings.ts';

export const REFRESH_ENTRY = path.join(PROJECT_ROOT, 'functions/refresh/handler.ts');
/** Lambda's maximum: a nightly run is a chain of Athena queries, and the run resumes from its journal on retry. */
export const REFRESH_TIMEOUT = Duration.minutes(15);
/** Lambda's async retries of a failed run; each resumes the same run (its id derives from the scheduled time). */
export const ASYNC_RETRY_ATTEMPTS = 2;
/**
 * How long an invocation may wait to start. With one run at a time, a nightly event can queue behind a manual
 * run; six hours (Lambda's maximum) still publishes the night's run before the working day.
 */
export const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

export interface RefreshFunctionProps {
  /** Every variable the handler reads, typed by the contract so a renamed or new variable fails the typecheck. */
  readonly environment: Readonly<Record<RefreshEnvironmentName, string>>;
  readonly memorySize: number;
}

/** The refresh Lambda with its role, log group and on-failure queue. Permissions are granted by the caller. */
export class RefreshFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Invocations that failed after every retry, with the event and the error. */
  readonly failedInvocations: sqs.Queue;

  constructor(scope: Construct, id: string, props: RefreshFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // Long enough to compare a failing night with the last good ones; run outputs themselves live in S3.
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of the default one, which carries the AWSLambdaBasicExecutionRole managed policy
    // (logs on every log group of the account).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Nightly customer-segmentation refresh: Athena over the lake, results to S3',
    });
    this.logGroup.grantWrite(this.role);
    this.failedInvocations = failureQueue(this, 'FailedInvocations');

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: REFRESH_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: HANDLER_RUNTIME,
      // Graviton: cheaper per GB-second, and the bundle is plain JavaScript (DuckDB's native addon is never in it).
      architecture: lambda.Architecture.ARM_64,
      bundling: HANDLER_BUNDLING,
      role: this.role,
      timeout: REFRESH_TIMEOUT,
      memorySize: props.memorySize,
      // One refresh at a time: two runs of the same night would race for latest.json and double the Athena bill.
      reservedConcurrentExecutions: 1,
      environment: { ...props.environment },
      description: 'Nightly customer segmentation: Athena queries over the lake, results published to S3',
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge: ASYNC_MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.failedInvocations),
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      `Pinned to ${HANDLER_RUNTIME.name}, the runtime the bundle targets and the tests cover; moving to a newer runtime is a deliberate, tested change.`,
    );
  }
}
