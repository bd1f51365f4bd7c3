import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { TABLE_NAMES } from '../shared/contracts/lake.ts';
import type { RefreshEnvironmentName } from '../shared/contracts/lambda.ts';
import { WORK_PREFIX, type SegmentsDataRefs, type SegmentsDataStack } from './data-stack.ts';
import { RefreshAlarms } from './refresh-alarms.ts';
import { RefreshFunction } from './refresh-function.ts';
import { grantRefreshAccess } from './refresh-permissions.ts';
import { RefreshSchedule } from './refresh-schedule.ts';
import type { RefreshSettings } from './refresh-settings.ts';

/**
 * Athena queries the job keeps in flight. Athena's default quota is 20–25 concurrent DML queries per account and
 * Region, shared with everyone else's; four keeps the job's stages fast without crowding analysts out.
 */
export const MAX_CONCURRENT_QUERIES = 4;
/** Left before Lambda's timeout to stop running queries and write the failure marker, so a retry can resume. */
export const DEADLINE_MARGIN_SECONDS = 60;

export interface SegmentsRefreshStackProps extends StackProps {
  readonly data: SegmentsDataStack;
  readonly settings: RefreshSettings;
}

/**
 * The stateless half: the nightly schedule, the refresh Lambda with exactly the access it needs to the data
 * stack's lake, catalog, workgroup and buckets, and the alarms that report a failed night.
 */
export class SegmentsRefreshStack extends Stack {
  readonly refresh: RefreshFunction;
  readonly schedule: RefreshSchedule;
  readonly alarms: RefreshAlarms;
  readonly config: Asset;

  constructor(scope: Construct, id: string, props: SegmentsRefreshStackProps) {
    const { data, settings, description, ...stackProps } = props;
    super(scope, id, {
      ...stackProps,
      description: description ?? 'segment-personas: nightly schedule, refresh Lambda and alarms of the customer-segmentation job',
    });
    // The data stack's resources reach this stack as imports of its named exports, which CDK does not track.
    this.addStackDependency(data);
    const refs = data.refs;

    // Validated at synth (refreshSettingsFromContext); deployed as an object the handler reads on each run.
    this.config = new Asset(this, 'SegmentsConfig', { path: settings.segmentsConfigPath });

    this.refresh = new RefreshFunction(this, 'Refresh', {
      environment: refreshEnvironment(refs, settings, { bucketName: this.config.s3BucketName, objectKey: this.config.s3ObjectKey }),
      memorySize: settings.lambdaMemoryMb,
    });
    grantRefreshAccess(this.refresh.role, {
      refs,
      config: { bucketName: this.config.s3BucketName, objectKey: this.config.s3ObjectKey },
    });

    this.schedule = new RefreshSchedule(this, 'Schedule', {
      function: this.refresh.function,
      cron: settings.scheduleCron,
      timeZone: settings.scheduleTimeZone,
    });

    this.alarms = new RefreshAlarms(this, 'Alarms', {
      function: this.refresh.function,
      failureQueues: { FailedInvocations: this.refresh.failedInvocations, ScheduleDeadLetters: this.schedule.deadLetters },
      ...(settings.alarmEmail === undefined ? {} : { email: settings.alarmEmail }),
    });

    new CfnOutput(this, 'RefreshFunctionName', { value: this.refresh.function.functionName, description: 'Invoke to run a refresh by hand' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'Subscribe to be told about failed runs' });
    new CfnOutput(this, 'FailedInvocationsQueueUrl', { value: this.refresh.failedInvocations.queueUrl, description: 'Runs given up after retries' });
    new CfnOutput(this, 'ScheduleDeadLettersQueueUrl', { value: this.schedule.deadLetters.queueUrl, description: 'Nightly events Scheduler could not deliver' });
  }
}

/** The handler's environment; the Record type makes the compiler check it against the contract's names. */
export function refreshEnvironment(
  refs: SegmentsDataRefs,
  settings: RefreshSettings,
  config: { readonly bucketName: string; readonly objectKey: string },
): Record<RefreshEnvironmentName, string> {
  const { lakePrefix, lakeFormats, lakePartitionedTables, resultsPrefix } = refs.settings;
  return {
    LAKE_BUCKET: refs.lakeBucketName,
    LAKE_PREFIX: lakePrefix,
    LAKE_FORMATS: TABLE_NAMES.map((table) => `${table}=${lakeFormats[table]}`).join(','),
    // The same setting LakeTables declares the dt partition from: the handler's dt filters follow the catalogue.
    LAKE_PARTITIONED_TABLES: lakePartitionedTables.join(','),
    RESULTS_BUCKET: refs.resultsBucketName,
    RESULTS_PREFIX: resultsPrefix,
    WORK_PREFIX,
    ATHENA_WORKGROUP: refs.workGroupName,
    GLUE_DATABASE: refs.glueDatabaseName,
    CONFIG_BUCKET: config.bucketName,
    CONFIG_KEY: config.objectKey,
    SCHEDULE_TIME_ZONE: settings.scheduleTimeZone,
    MAX_CONCURRENT_QUERIES: String(MAX_CONCURRENT_QUERIES),
    DEADLINE_MARGIN_SECONDS: String(DEADLINE_MARGIN_SECONDS),
  };
}
