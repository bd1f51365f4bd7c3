import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { TABLE_NAMES } from '../shared/contracts/lake.ts';
import { OUTPUT_TABLES } from '../shared/contracts/output-tables.ts';
import { stateTableName } from '../shared/contracts/state.ts';
import { STATE_GRAINS } from '../shared/sql/state.ts';
import { QUERY_RESULTS_PREFIX, WORK_PREFIX, type SegmentsDataRefs } from './data-stack.ts';
import { acknowledgeWildcardResources } from './nag.ts';

/**
 * Glue names of the run-scoped working tables: `<run>__<relation>` (runTableName in
 * shared/engines/athena-statements.ts). Only they may be created or dropped, so a bug or a hostile config can
 * never drop the lake's or the published results' table definitions. test/infra pins the two together.
 */
export const RUN_TABLE_PATTERN = '*__*';

export interface RefreshAccessProps {
  readonly refs: SegmentsDataRefs;
  /** The segments config object (a CDK asset). */
  readonly config: { readonly bucketName: string; readonly objectKey: string };
}

const s3Arn = (bucket: string, key?: string) => `arn:${Aws.PARTITION}:s3:::${bucket}${key === undefined ? '' : `/${key}`}`;

/**
 * What the refresh Lambda may do, and nothing more. Athena runs each query with the caller's credentials, so the
 * role also holds what Athena itself touches: the lake objects it scans, the catalog, the query-results bucket
 * it writes output to, and the results-bucket prefixes its CTAS and UNLOAD statements write.
 */
export function grantRefreshAccess(role: iam.Role, props: RefreshAccessProps): void {
  const stack = Stack.of(role);
  const { refs } = props;
  const { lakePrefix, resultsPrefix } = refs.settings;
  const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) }));

  allow(
    'AthenaQueriesInTheJobsWorkGroup',
    ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
    [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: refs.workGroupName })],
  );

  const glueArn = (resource: string, resourceName?: string) =>
    stack.formatArn({
      service: 'glue',
      resource,
      ...(resourceName === undefined ? { arnFormat: ArnFormat.NO_RESOURCE_NAME } : { resourceName }),
    });
  const catalog = glueArn('catalog');
  const database = glueArn('database', refs.glueDatabaseName);
  const runTables = glueArn('table', `${refs.glueDatabaseName}/${RUN_TABLE_PATTERN}`);
  allow(
    'GlueReadLakeAndRunTables',
    ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
    [
      catalog,
      database,
      ...TABLE_NAMES.map((table) => glueArn('table', `${refs.glueDatabaseName}/${table}`)),
      // The previous run's published segments, which migration.json compares with (read-only).
      glueArn('table', `${refs.glueDatabaseName}/${OUTPUT_TABLES.customer_segments.name}`),
      ...STATE_GRAINS.map((grain) => glueArn('table', `${refs.glueDatabaseName}/${stateTableName(grain)}`)),
      runTables,
    ],
  );
  // CTAS creates a table, DROP TABLE deletes it (and its partitions, of which these have none). Glue checks the
  // catalog and the database as well as the table.
  allow('GlueCreateAndDropRunTables', ['glue:CreateTable', 'glue:DeleteTable', 'glue:BatchDeletePartition'], [catalog, database, runTables]);
  acknowledgeWildcardResources(
    role,
    [runTables],
    'Run-scoped working tables are named after the run at run time, so only a name pattern can be granted; the pattern matches those tables alone (names with "__"), never the lake or result tables.',
  );

  // The lake: read-only, and only the three table folders, since the bucket may hold other data.
  const lakeTablePrefixes = TABLE_NAMES.map((table) => `${lakePrefix}${table}/`);
  const lakeObjects = lakeTablePrefixes.map((prefix) => s3Arn(refs.lakeBucketName, `${prefix}*`));
  allow('ReadLakeTableFiles', ['s3:GetObject'], lakeObjects);
  allow('ListLakeTableFolders', ['s3:ListBucket'], [s3Arn(refs.lakeBucketName)], {
    StringLike: { 's3:prefix': lakeTablePrefixes.map((prefix) => `${prefix}*`) },
  });
  acknowledgeWildcardResources(role, lakeObjects, 'Lake files are found by listing a table folder; any file under it may be read, and only files under it.');

  // The results bucket: the job's runs, the latest.json pointer and the working tables; it deletes a failed
  // unload's part files, its failure marker and the working tables of a published run.
  const resultsObjects = [
    s3Arn(refs.resultsBucketName, `${resultsPrefix}runs/*`),
    s3Arn(refs.resultsBucketName, `${resultsPrefix}${WORK_PREFIX}*`),
  ];
  const objectWrite = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];
  allow('ReadWriteRunsAndWorkTables', objectWrite, resultsObjects);
  allow('ReadWriteLatestPointer', ['s3:GetObject', 's3:PutObject'], [s3Arn(refs.resultsBucketName, `${resultsPrefix}latest.json`)]);
  acknowledgeWildcardResources(
    role,
    resultsObjects,
    'Each run writes new keys under runs/<run_id>/ and work/<run_id>/, named at run time; access stops at those two prefixes.',
  );

  // Athena's own output (query results and the manifests of CTAS and UNLOAD) goes to the workgroup's location.
  const queryResultObjects = s3Arn(refs.queryResultsBucketName, `${QUERY_RESULTS_PREFIX}*`);
  allow('ReadWriteAthenaQueryResults', ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], [
    queryResultObjects,
  ]);
  acknowledgeWildcardResources(role, [queryResultObjects], 'Athena names each result file after its query id, at run time; access stops at the workgroup output prefix.');

  // Both buckets belong to the job alone. Listing them unconditioned is what lets S3 answer 404 rather than 403 for
  // an object that does not exist yet (latest.json before the first run, a new run's query journal).
  const jobBuckets = [s3Arn(refs.resultsBucketName), s3Arn(refs.queryResultsBucketName)];
  allow('ListJobBuckets', ['s3:ListBucket', 's3:ListBucketMultipartUploads'], jobBuckets);
  allow('LocateBucketsForAthena', ['s3:GetBucketLocation'], [s3Arn(refs.lakeBucketName), ...jobBuckets]);

  allow('ReadSegmentsConfig', ['s3:GetObject'], [s3Arn(props.config.bucketName, props.config.objectKey)]);
}
