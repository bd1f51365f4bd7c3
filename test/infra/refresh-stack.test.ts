import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, REFRESH_DEFAULTS } from '../../infra/refresh-settings.ts';
import { RefreshEnvironment } from '../../shared/contracts/lambda.ts';
import { TABLE_NAMES } from '../../shared/contracts/lake.ts';
import { flat, synthApp } from './synth.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: string[] }>;

// One synth of the whole app (esbuild skipped) serves every assertion on the default deployment.
const app = synthApp({ alarmEmail: 'oncall@example.com' });
const template = app.refreshTemplate;
const resources = template.toJSON().Resources as Resources;
const only = (type: string) => {
  const found = Object.entries(resources).filter(([, r]) => r.Type === type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const [functionId, fn] = only('AWS::Lambda::Function');
const queueIds = Object.keys(template.findResources('AWS::SQS::Queue'));

describe('refresh Lambda', () => {
  it('runs the bundled handler on Node.js 22, arm64, for up to 15 minutes, one at a time', () => {
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 900,
      MemorySize: 512,
      ReservedConcurrentExecutions: 1,
    });
  });

  it('sets exactly the environment variables the handler’s contract names', () => {
    const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(variables).sort()).toEqual(Object.keys(RefreshEnvironment.shape).sort());
  });

  it('fills them from the data stack and the settings, in a form the contract accepts', () => {
    const variables = Object.fromEntries(Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, flat(v)]));
    expect(variables).toMatchObject({
      LAKE_BUCKET: 'import:SegmentsDataStack-LakeBucketName',
      LAKE_PREFIX: '',
      LAKE_FORMATS: 'orders=parquet,customers=parquet,events=parquet',
      LAKE_PARTITIONED_TABLES: 'orders,events',
      RESULTS_BUCKET: 'import:SegmentsDataStack-ResultsBucketName',
      RESULTS_PREFIX: '',
      WORK_PREFIX: 'work/',
      ATHENA_WORKGROUP: 'SegmentsDataStack-segments',
      GLUE_DATABASE: 'customer_segments',
      CONFIG_BUCKET: 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}',
      SCHEDULE_TIME_ZONE: 'UTC',
    });
    expect(variables.CONFIG_KEY).toMatch(/^[0-9a-f]{64}\.json$/);
    // Stand-ins for the values CloudFormation fills in; everything else is checked as synthesized.
    const parsed = RefreshEnvironment.safeParse({
      ...variables,
      LAKE_BUCKET: 'lake-bucket',
      RESULTS_BUCKET: 'results-bucket',
      CONFIG_BUCKET: 'cdk-hnb659fds-assets-123456789012-eu-west-1',
    });
    expect(parsed.error?.issues).toBeUndefined();
    expect(parsed.data?.MAX_CONCURRENT_QUERIES).toBe(4);
    expect(parsed.data?.DEADLINE_MARGIN_SECONDS).toBe(60);
    expect(parsed.data?.LAKE_PARTITIONED_TABLES).toEqual(['orders', 'events']);
  });

  it('tells the handler exactly the lake tables whose Glue table has the dt partition', () => {
    const other = synthApp({ lakePartitionedTables: 'events' });
    const [, otherFn] = Object.entries(other.refreshTemplate.findResources('AWS::Lambda::Function'))[0]!;
    const glueTables = Object.values(other.dataTemplate.findResources('AWS::Glue::Table')).map((r) => r.Properties.TableInput);
    const withDt = glueTables
      .filter((t) => (TABLE_NAMES as readonly string[]).includes(t.Name) && (t.PartitionKeys ?? []).some((k: { Name: string }) => k.Name === 'dt'))
      .map((t) => t.Name as string);
    expect(withDt).toEqual(['events']);
    expect(otherFn.Properties.Environment.Variables.LAKE_PARTITIONED_TABLES).toBe(withDt.join(','));
  });

  it('logs JSON to its own log group with a retention', () => {
    const [logGroupId, logGroup] = only('AWS::Logs::LogGroup');
    expect(logGroup.Properties.RetentionInDays).toBe(90);
    expect(fn.Properties.LoggingConfig).toEqual({ LogFormat: 'JSON', LogGroup: { Ref: logGroupId }, ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' });
  });

  it('retries a failed async invocation twice, then sends it to the on-failure queue', () => {
    const [, invokeConfig] = only('AWS::Lambda::EventInvokeConfig');
    expect(invokeConfig.Properties).toMatchObject({
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/^RefreshFailedInvocations/), 'Arn'] } } },
    });
  });

  it('deploys the segments config file as an asset and tells the function where it is', () => {
    const { config } = app.refresh;
    expect(config.isFile).toBe(true);
    expect(fn.Properties.Environment.Variables.CONFIG_KEY).toBe(config.s3ObjectKey);
    const staged = readFileSync(path.join(app.app.outdir, config.assetPath), 'utf8');
    expect(staged).toBe(readFileSync(path.join(PROJECT_ROOT, REFRESH_DEFAULTS.segmentsConfig), 'utf8'));
  });
});

describe('nightly schedule', () => {
  const [, schedule] = only('AWS::Scheduler::Schedule');

  it('fires at the default cron in UTC, with no flexible window', () => {
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(30 2 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
  });

  it('invokes the refresh function with the scheduled time, retrying, then dead-lettering', () => {
    const target = schedule.Properties.Target;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
    expect(JSON.parse(target.Input as string)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 });
    expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ScheduleDeadLetters/), 'Arn'] });
  });

  it('assumes a role only EventBridge Scheduler of this account can use', () => {
    const roleId = (schedule.Properties.Target.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    expect(resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: expect.objectContaining({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }) },
      }),
    ]);
  });

  it('takes cron and time zone from context, accepting the bare six cron fields', () => {
    const other = synthApp({ scheduleCron: '0 4 ? * MON-FRI *', scheduleTimeZone: 'Europe/Berlin' });
    other.refreshTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 4 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    other.refreshTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SCHEDULE_TIME_ZONE: 'Europe/Berlin' }) },
    });
  });
});

describe('failure queues', () => {
  it('has the on-failure queue and the schedule dead-letter queue, both encrypted and kept 14 days', () => {
    expect(queueIds).toHaveLength(2);
    for (const id of queueIds) {
      expect(resources[id]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    }
  });

  it('denies requests without TLS on both', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    expect(policies.flatMap((p) => p.Properties.Queues.map((q: { Ref: string }) => q.Ref)).sort()).toEqual([...queueIds].sort());
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});

describe('alarms', () => {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
  const [topicId, topic] = only('AWS::SNS::Topic');

  it('alarms on function errors and on any message in either failure queue', () => {
    expect(alarms).toHaveLength(3);
    const errors = alarms.find((a) => a.Properties.MetricName === 'Errors')!;
    expect(errors.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
    });
    const queued = alarms.filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(queued.map((a) => a.Properties.Dimensions[0].Value['Fn::GetAtt'][0]).sort()).toEqual([...queueIds].sort());
    for (const alarm of queued) expect(alarm.Properties).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 1, TreatMissingData: 'notBreaching' });
  });

  it('notifies the alarm topic from every alarm', () => {
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it('encrypts the topic with a rotating key CloudWatch may use, and allows only TLS', () => {
    const keyId = (topic.Properties.KmsMasterKeyId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    expect(resources[keyId]!.Properties.EnableKeyRotation).toBe(true);
    expect(resources[keyId]!.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    );
    const [, policy] = only('AWS::SNS::TopicPolicy');
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
      ]),
    );
  });

  it('subscribes alarmEmail when given, and nobody otherwise', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } });
    synthApp().refreshTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('stack wiring', () => {
  it('depends on the data stack and imports only its named exports', () => {
    expect(app.refresh.dependencies).toContain(app.data);
    const imports = new Set<string>();
    JSON.stringify(template.toJSON(), (key, value: unknown) => {
      if (key === 'Fn::ImportValue') imports.add(String(value));
      return value;
    });
    expect([...imports].sort()).toEqual(['SegmentsDataStack-LakeBucketName', 'SegmentsDataStack-QueryResultsBucketName', 'SegmentsDataStack-ResultsBucketName']);
  });

  it('takes the lambda memory from context', () => {
    synthApp({ lambdaMemoryMb: '1024' }).refreshTemplate.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024 });
  });
});
