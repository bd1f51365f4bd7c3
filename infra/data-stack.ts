import { Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { DataStackSettings } from './data-settings.ts';
import { LakeTables } from './lake-tables.ts';
import { ResultTables } from './result-tables.ts';

export { DATA_STACK_DEFAULTS, dataStackSettingsFromContext, type DataStackSettings } from './data-settings.ts';

// STANDARD_IA bills at least 30 days; moving runs there only pays off if they then stay at least that long.
const RUN_TRANSITION_DAYS = 30;
const MIN_DAYS_IN_INFREQUENT_ACCESS = 30;
/** Run-scoped working tables (CTAS) live under `<resultsPrefix><WORK_PREFIX><run_id>/`. */
export const WORK_PREFIX = 'work/';
/** A run's working tables are dropped when it publishes; the rule only sweeps up after runs that never did. */
export const WORK_EXPIRATION_DAYS = 7;
/** Where the workgroup puts Athena's own query output in the query-results bucket. */
export const QUERY_RESULTS_PREFIX = 'athena/';

/**
 * What the compute stack uses from this one. Bucket names travel as imports of this stack's named exports rather
 * than as CDK cross-stack references: the names are stable, readable in the compute stack's template (and in its
 * cdk-nag acknowledgements), and the compute stack can be torn down and redeployed on its own.
 */
export interface SegmentsDataRefs {
  readonly settings: DataStackSettings;
  readonly lakeBucketName: string;
  readonly resultsBucketName: string;
  readonly queryResultsBucketName: string;
  readonly workGroupName: string;
  readonly glueDatabaseName: string;
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
  readonly settings: DataStackSettings;
  readonly lakeBucket: s3.IBucket;
  readonly resultsBucket: s3.Bucket;
  readonly queryResultsBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly workGroup: athena.CfnWorkGroup;
  readonly database: glue.Database;
  readonly glueDatabaseName: string;
  readonly lakeTables: LakeTables;
  readonly resultTables: ResultTables;
  readonly refs: SegmentsDataRefs;

  constructor(scope: Construct, id: string, props: SegmentsDataStackProps) {
    const { settings, description, ...stackProps } = props;
    super(scope, id, {
      ...stackProps,
      description:
        description ??
        'segment-personas: data lake, results and Athena query-result buckets, Athena workgroup, Glue database and ' +
          'tables for the nightly customer-segmentation job',
    });
    this.settings = settings;

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

    // Who read or changed customer data and published results is worth an audit trail; S3 server access logs
    // give one without CloudTrail data events. (S3 delivers them with SSE-S3 only, so no KMS here either.)
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      ...baseline,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [abortUploads, { id: 'expire-access-logs', expiration: Duration.days(365) }],
    });
    const logsTo = (name: string) => ({ serverAccessLogsBucket: this.accessLogsBucket, serverAccessLogsPrefix: `${name}/` });

    this.lakeBucket =
      settings.lakeBucketName === undefined
        ? new s3.Bucket(this, 'LakeBucket', {
            ...baseline,
            ...logsTo('lake'),
            // Source data may be the only copy; a stack deletion must never take it along.
            removalPolicy: RemovalPolicy.RETAIN,
            lifecycleRules: [abortUploads],
          })
        : s3.Bucket.fromBucketName(this, 'LakeBucket', settings.lakeBucketName);

    const runsPrefix = `${settings.resultsPrefix}runs/`;
    const runsRule: s3.LifecycleRule = {
      id: 'expire-old-runs',
      prefix: runsPrefix,
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
    const workRule: s3.LifecycleRule = {
      id: 'expire-work-tables',
      prefix: `${settings.resultsPrefix}${WORK_PREFIX}`,
      expiration: Duration.days(WORK_EXPIRATION_DAYS),
      // Scratch data has nothing worth undoing; its old versions need not wait the month the rule below allows.
      noncurrentVersionExpiration: Duration.days(1),
    };
    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', {
      ...baseline,
      ...logsTo('results'),
      // A published run must survive a buggy rerun or an accidental overwrite of latest.json.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        abortUploads,
        runsRule,
        workRule,
        // Versions only exist to undo a recent mistake; a month is long enough to notice one.
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30), expiredObjectDeleteMarker: true },
      ],
    });

    this.queryResultsBucket = new s3.Bucket(this, 'QueryResultsBucket', {
      ...baseline,
      ...logsTo('query-results'),
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
          outputLocation: this.queryResultsBucket.s3UrlForObject(QUERY_RESULTS_PREFIX),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          // Refuses to write results if the bucket name were ever taken over by another account.
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });

    this.glueDatabaseName = settings.glueDatabaseName;
    this.database = new glue.Database(this, 'GlueDatabase', {
      databaseName: settings.glueDatabaseName,
      description: 'Customer data-lake tables, published result tables and run-scoped working tables of the segmentation job',
      // The catalog only describes data kept in S3 and is fully declared here (working tables are dropped or
      // swept by their run), so deleting it with the stack loses nothing; retaining it would block a redeploy,
      // which needs the same name.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Same logical id as the CfnDatabase this replaced, so an existing deployment updates it in place instead of
    // failing to create a second database of the same name.
    (this.database.node.defaultChild as glue.CfnDatabase).overrideLogicalId('GlueDatabase');

    this.lakeTables = new LakeTables(this, 'LakeTables', { database: this.database, bucket: this.lakeBucket, settings });
    this.resultTables = new ResultTables(this, 'ResultTables', {
      database: this.database,
      bucket: this.resultsBucket,
      resultsPrefix: settings.resultsPrefix,
    });

    const exported = (outputId: string, value: string, description: string): string => {
      const exportName = `${this.stackName}-${outputId}`;
      new CfnOutput(this, outputId, { value, description, exportName });
      return Fn.importValue(exportName);
    };
    const lakeBucketName = exported('LakeBucketName', this.lakeBucket.bucketName, 'Data-lake bucket (source data)');
    const resultsBucketName = exported('ResultsBucketName', this.resultsBucket.bucketName, 'Published segmentation runs');
    const queryResultsBucketName = exported(
      'QueryResultsBucketName',
      this.queryResultsBucket.bucketName,
      'Athena query output (7-day scratch)',
    );
    new CfnOutput(this, 'AccessLogsBucketName', { value: this.accessLogsBucket.bucketName, description: 'S3 server access logs' });
    new CfnOutput(this, 'AthenaWorkGroupName', { value: this.workGroup.ref, description: 'Athena workgroup the job must use' });
    new CfnOutput(this, 'GlueDatabaseName', { value: this.database.databaseName, description: 'Glue database of the lake tables' });

    this.refs = {
      settings,
      // An imported lake's name is a plain string already; only a bucket this stack creates needs the import.
      lakeBucketName: settings.lakeBucketName ?? lakeBucketName,
      resultsBucketName,
      queryResultsBucketName,
      // Both are fixed at synth time (stack name, setting), so they need no import either.
      workGroupName: `${this.stackName}-segments`,
      glueDatabaseName: settings.glueDatabaseName,
    };
  }
}
