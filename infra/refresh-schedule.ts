import { Aws, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { failureQueue } from './failure-queue.ts';
import { acknowledgeWildcardResources } from './nag.ts';

/**
 * Scheduler's retries cover failing to hand the event to Lambda (throttling, a service error), not a failed run:
 * the invocation is asynchronous, and Lambda's own retries and on-failure queue take over from there.
 */
export const SCHEDULE_RETRY_ATTEMPTS = 3;
export const SCHEDULE_MAX_EVENT_AGE = Duration.hours(2);

export interface RefreshScheduleProps {
  readonly function: lambda.IFunction;
  readonly cron: string;
  readonly timeZone: string;
}

/** The nightly trigger: EventBridge Scheduler, which (unlike an EventBridge rule) reads cron in a time zone. */
export class RefreshSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  /** Events Scheduler could not deliver after its retries. */
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: RefreshScheduleProps) {
    super(scope, id);
    this.deadLetters = failureQueue(this, 'DeadLetters');
    // An own role (rather than the one LambdaInvoke would add at stack level) keeps it, and its acknowledgement,
    // in this construct. Only schedules of this account's default group may assume it.
    const role = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Aws.ACCOUNT_ID,
            'aws:SourceArn': Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
          },
        },
      }),
      description: 'EventBridge Scheduler: invoke the nightly refresh',
    });
    const target = new targets.LambdaInvoke(props.function, {
      // The firing's own time, not the delivery time: the handler derives the as-of date and the run id from it,
      // so every retry of one night is the same run.
      input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
      retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
      maxEventAge: SCHEDULE_MAX_EVENT_AGE,
      deadLetterQueue: this.deadLetters,
      role,
    });
    this.schedule = new scheduler.Schedule(this, 'Nightly', {
      schedule: scheduler.ScheduleExpression.expression(props.cron, TimeZone.of(props.timeZone)),
      target,
      description: `Nightly customer-segmentation refresh (${props.cron}, ${props.timeZone})`,
      timeWindow: scheduler.TimeWindow.off(),
    });
    acknowledgeWildcardResources(
      role,
      [`${props.function.functionArn}:*`],
      'LambdaInvoke grants invoking the function and its versions/aliases (function ARN + ":*"); the role can invoke this one function only.',
    );
  }
}
