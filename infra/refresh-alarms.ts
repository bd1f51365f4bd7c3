import { ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface RefreshAlarmsProps {
  readonly function: lambda.IFunction;
  /** Queues whose every message is a failure someone must look at. */
  readonly failureQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly email?: string;
}

const PERIOD = Duration.minutes(5);

/**
 * How a failed night reaches a person: an alarm per failure signal, all notifying one encrypted topic. Queue
 * alarms stay in ALARM while messages wait, so a failure cannot go unnoticed until someone redrives or purges it.
 */
export class RefreshAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: RefreshAlarmsProps) {
    super(scope, id);

    // SNS encryption needs a customer-managed key here: CloudWatch must be allowed to use it to publish, and the
    // AWS-managed aws/sns key cannot grant that.
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the segmentation-job alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheTopic',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy '*' is this key. No source condition: the key is used for CloudWatch when it publishes, and
        // those KMS requests are not documented to carry the alarm's account or ARN (a condition on them could
        // silently drop every notification). The topic policy below is where the publisher is pinned.
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { masterKey: key, enforceSSL: true, displayName: 'Customer segmentation job alarms' });
    // The TLS-only topic policy replaces SNS's default one, which is what let CloudWatch publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    if (props.email !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));

    this.add(
      'Errors',
      'The nightly refresh failed (each failed attempt counts; Lambda retries twice). See the function logs.',
      props.function.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
    );
    for (const [name, queue] of Object.entries(props.failureQueues)) {
      this.add(
        name,
        `Messages in ${name}: a refresh was given up. Inspect the message, fix the cause, then redrive or purge it.`,
        queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
      );
    }
  }

  private add(id: string, description: string, metric: cloudwatch.IMetric): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No invocations or an empty queue is the normal state, not a reason for INSUFFICIENT_DATA.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
