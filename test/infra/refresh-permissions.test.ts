import { stateTableName } from '../../shared/contracts/state.ts';
import { STATE_GRAINS } from '../../shared/sql/state.ts';
import { describe, expect, it } from 'vitest';
import { RUN_TABLE_PATTERN } from '../../infra/refresh-permissions.ts';
import { TABLE_NAMES } from '../../shared/contracts/lake.ts';
import { OUTPUT_TABLES } from '../../shared/contracts/output-tables.ts';
import { runTableName } from '../../shared/engines/athena-statements.ts';
import { asArray, flat, identityStatements, synthApp, type Statement } from './synth.ts';

interface Grant {
  sid?: string;
  actions: string[];
  resources: string[];
  condition?: Statement['Condition'];
}

const grantsOf = (statements: Statement[]): Grant[] =>
  statements.map((s) => ({
    ...(s.Sid ? { sid: s.Sid } : {}),
    actions: asArray(s.Action).sort(),
    resources: asArray(s.Resource).map(flat).sort(),
    ...(s.Condition ? { condition: s.Condition } : {}),
  }));

const synthesized = (context: Record<string, unknown> = {}) => {
  const { data, refresh, dataTemplate, refreshTemplate } = synthApp(context);
  const roleId = refresh.getLogicalId(refresh.refresh.role.node.defaultChild as never);
  const statements = identityStatements(refreshTemplate);
  const refreshGrants = grantsOf(
    statements.filter(({ resource }) => resource.startsWith('RefreshRoleDefaultPolicy')).map(({ statement }) => statement),
  );
  const configKey = refresh.config.s3ObjectKey;
  return { data, refresh, dataTemplate, refreshTemplate, roleId, statements, refreshGrants, configKey };
};

const ARN = 'arn:<AWS::Partition>';
const GLUE = `${ARN}:glue:<AWS::Region>:<AWS::AccountId>`;
const lakeBucket = `${ARN}:s3:::import:SegmentsDataStack-LakeBucketName`;
const resultsBucket = `${ARN}:s3:::import:SegmentsDataStack-ResultsBucketName`;
const queryResultsBucket = `${ARN}:s3:::import:SegmentsDataStack-QueryResultsBucketName`;
const sorted = (values: string[]) => [...values].sort();

// One synth for the defaults; one for an imported lake and prefixes.
const base = synthesized();
const grant = (sid: string) => {
  const found = base.refreshGrants.find((g) => g.sid === sid);
  expect(found, sid).toBeDefined();
  return found!;
};

describe('refresh role', () => {
  it('grants exactly these statements', () => {
    expect(base.refreshGrants.map((g) => g.sid ?? g.actions.join(','))).toEqual([
      'logs:CreateLogStream,logs:PutLogEvents',
      'sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:SendMessage',
      'AthenaQueriesInTheJobsWorkGroup',
      'GlueReadLakeAndRunTables',
      'GlueCreateAndDropRunTables',
      'ReadLakeTableFiles',
      'ListLakeTableFolders',
      'ReadWriteRunsAndWorkTables',
      'ReadWriteLatestPointer',
      'ReadWriteAthenaQueryResults',
      'ListJobBuckets',
      'LocateBucketsForAthena',
      'ReadSegmentsConfig',
    ]);
  });

  it('is assumable by Lambda only and carries no managed policy', () => {
    const role = base.refreshTemplate.toJSON().Resources[base.roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
  });

  it('writes logs to its own log group and failures to its own queue only', () => {
    const [logs, queue] = base.refreshGrants;
    expect(logs!.resources).toEqual([expect.stringMatching(/^<RefreshLogs\w+\.Arn>$/)]);
    expect(queue!.resources).toEqual([expect.stringMatching(/^<RefreshFailedInvocations\w+\.Arn>$/)]);
  });

  it('runs Athena queries in the job’s workgroup only', () => {
    expect(grant('AthenaQueriesInTheJobsWorkGroup')).toEqual({
      sid: 'AthenaQueriesInTheJobsWorkGroup',
      actions: ['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution', 'athena:StopQueryExecution'],
      resources: [`${ARN}:athena:<AWS::Region>:<AWS::AccountId>:workgroup/SegmentsDataStack-segments`],
    });
  });

  it('reads the catalog, the database, the lake tables, the published customer_segments and feature state (the previous run) and the run tables', () => {
    expect(grant('GlueReadLakeAndRunTables').resources).toEqual(
      sorted([
        `${GLUE}:catalog`,
        `${GLUE}:database/customer_segments`,
        ...TABLE_NAMES.map((table) => `${GLUE}:table/customer_segments/${table}`),
        `${GLUE}:table/customer_segments/${OUTPUT_TABLES.customer_segments.name}`,
        ...STATE_GRAINS.map((grain) => `${GLUE}:table/customer_segments/${stateTableName(grain)}`),
        `${GLUE}:table/customer_segments/*__*`,
      ]),
    );
    expect(grant('GlueReadLakeAndRunTables').actions.every((action) => /^glue:(Get|BatchGet)/.test(action))).toBe(true);
  });

  it('creates and drops only run-scoped tables', () => {
    expect(grant('GlueCreateAndDropRunTables')).toMatchObject({
      actions: ['glue:BatchDeletePartition', 'glue:CreateTable', 'glue:DeleteTable'],
      resources: sorted([`${GLUE}:catalog`, `${GLUE}:database/customer_segments`, `${GLUE}:table/customer_segments/*__*`]),
    });
  });

  it('matches the names the Athena engine gives run tables, and none of the lake or result tables', () => {
    const glob = new RegExp(`^${RUN_TABLE_PATTERN.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    for (const runId of ['2026-03-01_20260302T023000Z_a1b2c3', 'backfill_march', 'X-1']) {
      expect(runTableName(runId, 'stg_orders')).toMatch(glob);
    }
    for (const name of [...TABLE_NAMES, ...Object.keys(OUTPUT_TABLES)]) expect(name).not.toMatch(glob);
  });

  it('reads the lake’s three table folders and nothing else of the lake bucket', () => {
    expect(grant('ReadLakeTableFiles')).toMatchObject({
      actions: ['s3:GetObject'],
      resources: sorted(TABLE_NAMES.map((table) => `${lakeBucket}/${table}/*`)),
    });
    expect(grant('ListLakeTableFolders')).toMatchObject({
      actions: ['s3:ListBucket'],
      resources: [lakeBucket],
      condition: { StringLike: { 's3:prefix': TABLE_NAMES.map((table) => `${table}/*`) } },
    });
    const lakeGrants = base.refreshGrants.filter((g) => g.resources.some((r) => r.startsWith(lakeBucket)));
    expect(lakeGrants.flatMap((g) => g.actions).sort()).toEqual(['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket']);
  });

  it('reads and writes runs/, work/ and latest.json of the results bucket', () => {
    expect(grant('ReadWriteRunsAndWorkTables')).toMatchObject({
      actions: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
      resources: sorted([`${resultsBucket}/runs/*`, `${resultsBucket}/work/*`]),
    });
    expect(grant('ReadWriteLatestPointer')).toMatchObject({ actions: ['s3:GetObject', 's3:PutObject'], resources: [`${resultsBucket}/latest.json`] });
  });

  it('reads and writes Athena’s output prefix of the query-results bucket', () => {
    expect(grant('ReadWriteAthenaQueryResults')).toMatchObject({
      actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
      resources: [`${queryResultsBucket}/athena/*`],
    });
  });

  it('lists and locates buckets by ARN only', () => {
    expect(grant('ListJobBuckets')).toMatchObject({ resources: sorted([resultsBucket, queryResultsBucket]) });
    expect(grant('LocateBucketsForAthena')).toMatchObject({ actions: ['s3:GetBucketLocation'], resources: sorted([lakeBucket, resultsBucket, queryResultsBucket]) });
  });

  it('reads the deployed segments config object only', () => {
    expect(grant('ReadSegmentsConfig')).toEqual({
      sid: 'ReadSegmentsConfig',
      actions: ['s3:GetObject'],
      resources: [`${ARN}:s3:::cdk-hnb659fds-assets-\${AWS::AccountId}-\${AWS::Region}/${base.configKey}`],
    });
  });

  it('scopes every S3 grant to the job’s buckets, prefixes and config object', () => {
    const allowed = [lakeBucket, resultsBucket, queryResultsBucket, `${ARN}:s3:::cdk-hnb659fds-assets-`];
    for (const g of base.refreshGrants.filter((g) => g.actions.some((a) => a.startsWith('s3:')))) {
      for (const resource of g.resources) expect(allowed.some((prefix) => resource.startsWith(prefix)), resource).toBe(true);
    }
  });
});

describe('wildcards across both stacks', () => {
  const everyStatement = [...identityStatements(base.dataTemplate), ...base.statements];

  it('has no identity statement on Resource "*"', () => {
    const star = everyStatement.filter(({ statement }) => asArray(statement.Resource).includes('*'));
    expect(star).toEqual([]);
  });

  it('has no wildcard actions in identity statements', () => {
    expect(everyStatement.flatMap(({ statement }) => asArray(statement.Action)).filter((action) => action.includes('*'))).toEqual([]);
  });

  it('has wildcard resources exactly where run-time names make them unavoidable', () => {
    const wildcards = [...new Set(everyStatement.flatMap(({ statement }) => asArray(statement.Resource).map(flat)).filter((r) => r.includes('*')))];
    // The scheduler's invoke grant: the function and its versions.
    const invoke = wildcards.filter((r) => /^<RefreshFunction\w+\.Arn>:\*$/.test(r));
    expect(invoke).toHaveLength(1);
    expect(wildcards.filter((r) => !invoke.includes(r)).sort()).toEqual(
      sorted([
        `${GLUE}:table/customer_segments/*__*`,
        ...TABLE_NAMES.map((table) => `${lakeBucket}/${table}/*`),
        `${resultsBucket}/runs/*`,
        `${resultsBucket}/work/*`,
        `${queryResultsBucket}/athena/*`,
      ]),
    );
  });

  it('uses Resource "*" only in key policy statements, where it means the key itself', () => {
    for (const key of Object.values(base.refreshTemplate.findResources('AWS::KMS::Key'))) {
      for (const statement of key.Properties.KeyPolicy.Statement as Statement[]) expect(statement.Resource).toBe('*');
    }
  });
});

describe('with an imported lake, prefixes and another database', () => {
  const custom = synthesized({
    lakeBucketName: 'acme-lake',
    lakePrefix: 'exports/',
    resultsPrefix: 'segments/',
    glueDatabaseName: 'shop_segments',
  });
  const grantOf = (sid: string) => custom.refreshGrants.find((g) => g.sid === sid)!;

  it('scopes lake, results and glue grants to them', () => {
    expect(grantOf('ReadLakeTableFiles').resources).toEqual(sorted(TABLE_NAMES.map((table) => `${ARN}:s3:::acme-lake/exports/${table}/*`)));
    expect(grantOf('ListLakeTableFolders').condition).toEqual({ StringLike: { 's3:prefix': TABLE_NAMES.map((t) => `exports/${t}/*`) } });
    expect(grantOf('ReadWriteRunsAndWorkTables').resources).toEqual(sorted([`${resultsBucket}/segments/runs/*`, `${resultsBucket}/segments/work/*`]));
    expect(grantOf('ReadWriteLatestPointer').resources).toEqual([`${resultsBucket}/segments/latest.json`]);
    expect(grantOf('GlueCreateAndDropRunTables').resources).toContain(`${GLUE}:table/shop_segments/*__*`);
  });
});
