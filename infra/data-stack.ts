import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** The settings a deployment may override with `cdk -c key=value` or `context` in cdk.json. */
export interface DataStackSettings {
  /** An existing data-lake bucket to read from; when absent the stack creates (and retains) one. */
  readonly lakeBucketName?: string;
  /** Days a run's `runs/<run_id>/` output is kept before it expires. */
  readonly runRetentionDays: number;
  /** Per-query Athena scan limit in bytes. */
  readonly bytesScannedCutoffPerQuery: number;
  /** Glue (and so Athena) database holding the lake's tables. */
  readonly glueDatabaseName: string;
}

export const DATA_STACK_DEFAULTS = {
  runRetentionDays: 400,
  bytesScannedCutoffPerQuery: 100 * 1024 ** 3,
  glueDatabaseName: 'customer_segments',
} as const satisfies Omit<DataStackSettings, 'lakeBucketName'>;

// Athena rejects a cutoff below 10 MB; catching it here beats a failed deployment.
const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;
// STANDARD_IA bills at least 30 days; moving runs there only pays off if they then stay at least that long.
const RUN_TRANSITION_DAYS = 30;
const MIN_DAYS_IN_INFREQUENT_ACCESS = 30;

/**
 * Reads and validates the stack's context. Values given with `-c` arrive as strings, values in cdk.json as
 * JSON, so both are accepted; anything malformed fails the synth instead of producing a surprising template.
 */
export function dataStackSettingsFromContext(scope: Construct): DataStackSettings {
  const lakeBucketName = optionalString(scope, 'lakeBucketName');
  if (lakeBucketName !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(lakeBucketName)) {
    throw new Error(`context lakeBucketName: '${lakeBucketName}' is not a valid S3 bucket name`);
  }
  const glueDatabaseName = optionalString(scope, 'glueDatabaseName') ?? DATA_STACK_DEFAULTS.glueDatabaseName;
  // Glue accepts more, but Athena needs quoting for anything beyond lower-case letters, digits and '_'.
  if (!/^[a-z0-9_]{1,255}$/.test(glueDatabaseName)) {
    throw new Error(`context glueDatabaseName: '${glueDatabaseName}' must be lower-case letters, digits and '_'`);
  }
  return {
    ...(lakeBucketName === undefined ? {} : { lakeBucketName }),
    runRetentionDays: integerContext(scope, 'runRetentionDays', DATA_STACK_DEFAULTS.runRetentionDays, 1),
    bytesScannedCutoffPerQuery: integerContext(
      scope,
      'bytesScannedCutoffPerQuery',
      DATA_STACK_DEFAULTS.bytesScannedCutoffPerQuery,
      MIN_BYTES_SCANNED_CUTOFF,
    ),
    glueDatabaseName,
  };
}

function optionalString(scope: Construct, key: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`context ${key}: expected a string, got ${JSON.stringify(value)}`);
  return value.trim() === '' ? undefined : value.trim();
}

function integerContext(scope: Construct, key: string, fallback: number, min: number): number {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`context ${key}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export interface SegmentsDataStackProps extends StackProps {
  readonly settings: DataStackSettings;
}

/**
 * The stateful half of the segmentation job: where customer data is read from, where published results and
 * Athena's scratch output live, and the catalog and workgroup the queries run in. Kept apart from the
 * compute stack so the job can be redeployed or torn down without touching data.
 */
export class SegmentsDataStack extends Stack {
  readonly lakeBucket: s3.IBucket;
  readonly resultsBucket: s3.Bucket;
  readonly queryResultsBucket: s3.Bucket;
  readonly workGroup: athena.CfnWorkGroup;
  readonly database: glue.CfnDatabase;
  readonly glueDatabaseName: string;

  constructor(scope: Construct, id: string, props: SegmentsDataStackProps) {
    const { settings, description, ...stackProps } = props;
    super(scope, id, {
      ...stackProps,
      description:
        description ??
        'segment-personas: data lake, results and Athena query-result buckets, Athena workgroup and Glue database ' +
          'for the nightly customer-segmentation job',
    });

    // Shared by every bucket: nothing here is ever meant to be public or reachable over plain HTTP.
    const baseline = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // ACLs would let an object escape the bucket policy; ownership enforced disables them.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    } satisfies s3.BucketProps;
    // Failed multipart uploads are invisible in listings but still billed.
    const abortUploads: s3.LifecycleRule = { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) };

    this.lakeBucket =
      settings.lakeBucketName === undefined
        ? new s3.Bucket(this, 'LakeBucket', {
            ...baseline,
            // Source data may be the only copy; a stack deletion must never take it along.
            removalPolicy: RemovalPolicy.RETAIN,
            lifecycleRules: [abortUploads],
          })
        : s3.Bucket.fromBucketName(this, 'LakeBucket', settings.lakeBucketName);

    const runsRule: s3.LifecycleRule = {
      id: 'expire-old-runs',
      prefix: 'runs/',
      // Note: latest.json is outside runs/ and never expires, so if the job stops for longer than this it points
      // at a run that is gone; the retention is meant to comfortably exceed any such outage.
      expiration: Duration.days(settings.runRetentionDays),
      ...(settings.runRetentionDays >= RUN_TRANSITION_DAYS + MIN_DAYS_IN_INFREQUENT_ACCESS
        ? {
            // Old runs are kept for audit and comparison, and are rarely read once a newer run is published.
            transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(RUN_TRANSITION_DAYS) }],
          }
        : {}),
    };
    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', {
      ...baseline,
      // A published run must survive a buggy rerun or an accidental overwrite of latest.json.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        abortUploads,
        runsRule,
        // Versions only exist to undo a recent mistake; a month is long enough to notice one.
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30), expiredObjectDeleteMarker: true },
      ],
    });

    this.queryResultsBucket = new s3.Bucket(this, 'QueryResultsBucket', {
      ...baseline,
      // Athena's scratch output is reproducible and only read right after a query, so it is neither kept nor
      // allowed to block a stack deletion.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      lifecycleRules: [abortUploads, { id: 'expire-query-results', expiration: Duration.days(7) }],
    });

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${this.stackName}-segments`,
      description: 'Queries of the nightly customer-segmentation job',
      state: 'ENABLED',
      // Stack deletion would otherwise fail as soon as the workgroup has any saved query or history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Without enforcement a client could choose its own, unencrypted, unlimited output location and scan limit.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        // A missing partition filter on the lake should fail fast rather than scan (and bill) everything.
        bytesScannedCutoffPerQuery: settings.bytesScannedCutoffPerQuery,
        // The SQL builders target Trino semantics; pinning avoids a silent engine change under the job.
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.queryResultsBucket.s3UrlForObject('athena/'),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          // Refuses to write results if the bucket name were ever taken over by another account.
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });

    this.glueDatabaseName = settings.glueDatabaseName;
    this.database = new glue.CfnDatabase(this, 'GlueDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: settings.glueDatabaseName,
        description: 'Customer data-lake tables queried by the segmentation job',
      },
    });

    new CfnOutput(this, 'LakeBucketName', { value: this.lakeBucket.bucketName, description: 'Data-lake bucket (source data)' });
    new CfnOutput(this, 'ResultsBucketName', { value: this.resultsBucket.bucketName, description: 'Published segmentation runs' });
    new CfnOutput(this, 'QueryResultsBucketName', { value: this.queryResultsBucket.bucketName, description: 'Athena query output (7-day scratch)' });
    new CfnOutput(this, 'AthenaWorkGroupName', { value: this.workGroup.ref, description: 'Athena workgroup the job must use' });
    new CfnOutput(this, 'GlueDatabaseName', { value: this.database.ref, description: 'Glue database of the lake tables' });
  }
}
