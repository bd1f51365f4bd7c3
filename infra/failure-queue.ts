import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

/**
 * A queue that holds failed work for an operator: encrypted, reachable over TLS only, and kept as long as SQS
 * allows, since a failure noticed after a long weekend should still have its event to inspect and redrive.
 */
export function failureQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    // SQS-managed keys: the producers (Lambda's async destination, EventBridge Scheduler) need no KMS grant, and
    // the messages are event envelopes and error summaries, not customer data.
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: RemovalPolicy.DESTROY,
  });
  acknowledge(queue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter destination of failed invocations; a DLQ behind it would only move the same messages.');
  return queue;
}
