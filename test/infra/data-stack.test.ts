import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as athena from 'aws-cdk-lib/aws-athena';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { SegmentsDataStack, dataStackSettingsFromContext } from '../../infra/data-stack.ts';

// The feature flags from cdk.json, so the tests see the same template `cdk synth` produces.
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context?: Record<string, unknown>;
};

const synth = (context: Record<string, unknown> = {}) => {
  const app = new App({ context: { ...cdkJson.context, ...context } });
  const stack = new SegmentsDataStack(app, 'TestDataStack', { settings: dataStackSettingsFromContext(app) });
  return { stack, template: Template.fromStack(stack) };
};

const logicalIdOf = (stack: SegmentsDataStack, bucket: s3.Bucket) =>
  stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);

type Resource = { Properties: Record<string, any>; DeletionPolicy?: string };
type LifecycleRule = Record<string, any>;
const rulesOf = (template: Template, logicalId: string): LifecycleRule[] =>
  (template.toJSON().Resources[logicalId] as Resource).Properties.LifecycleConfiguration.Rules;

// One default synth shared by the read-only assertions keeps the file well under the time budget.
const base = synth();

describe('SegmentsDataStack buckets', () => {
  it('creates the lake, results, query-results and access-log buckets, each blocking public access and encrypted', () => {
    const buckets = base.template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(4);
    for (const [id, bucket] of Object.entries(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption, id).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    }
  });

  it('gives every bucket a policy that denies requests without TLS', () => {
    const buckets = Object.keys(base.template.findResources('AWS::S3::Bucket'));
    const policies = Object.values(base.template.findResources('AWS::S3::BucketPolicy'));
    expect(policies.map((policy) => policy.Properties.Bucket.Ref).sort()).toEqual([...buckets].sort());
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  it('versions the results bucket and retains the lake and results buckets', () => {
    const resources = base.template.toJSON().Resources as Record<string, Resource>;
    const results = resources[logicalIdOf(base.stack, base.stack.resultsBucket)]!;
    expect(results.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(results.DeletionPolicy).toBe('Retain');
    expect(resources[logicalIdOf(base.stack, base.stack.lakeBucket as s3.Bucket)]!.DeletionPolicy).toBe('Retain');
  });

  it('logs access to the lake, results and query-results buckets to the access-log bucket, which it retains', () => {
    const resources = base.template.toJSON().Resources as Record<string, Resource>;
    const logsBucket = logicalIdOf(base.stack, base.stack.accessLogsBucket);
    const logged = [base.stack.lakeBucket as s3.Bucket, base.stack.resultsBucket, base.stack.queryResultsBucket];
    for (const bucket of logged) {
      const config = resources[logicalIdOf(base.stack, bucket)]!.Properties.LoggingConfiguration;
      expect(config.DestinationBucketName).toEqual({ Ref: logsBucket });
      expect(config.LogFilePrefix).toMatch(/^[a-z-]+\/$/);
    }
    expect(resources[logsBucket]!.DeletionPolicy).toBe('Retain');
    expect(rulesOf(base.template, logsBucket)).toEqual(expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 365 })]));
  });

  it('expires run-scoped working tables under work/ after 7 days', () => {
    const rules = rulesOf(base.template, logicalIdOf(base.stack, base.stack.resultsBucket));
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Status: 'Enabled', Prefix: 'work/', ExpirationInDays: 7, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
      ]),
    );
  });

  it('moves the runs/ and work/ rules under resultsPrefix', () => {
    const { stack, template } = synth({ resultsPrefix: 'segments/' });
    const prefixes = rulesOf(template, logicalIdOf(stack, stack.resultsBucket)).map((rule) => rule.Prefix);
    expect(prefixes).toEqual(expect.arrayContaining(['segments/runs/', 'segments/work/']));
    expect(prefixes).not.toContain('runs/');
  });

  it('expires Athena query results after 7 days', () => {
    const rules = rulesOf(base.template, logicalIdOf(base.stack, base.stack.queryResultsBucket));
    expect(rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 7 })]),
    );
    expect(rules.find((rule) => rule.ExpirationInDays === 7)?.Prefix).toBeUndefined();
  });

  it('expires noncurrent result versions after 30 days and runs/ after the default retention', () => {
    const rules = rulesOf(base.template, logicalIdOf(base.stack, base.stack.resultsBucket));
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
        expect.objectContaining({
          Status: 'Enabled',
          Prefix: 'runs/',
          ExpirationInDays: 400,
          Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
        }),
      ]),
    );
  });

  it('takes runRetentionDays from context, as the string `cdk -c` passes, and skips a transition that cannot pay off', () => {
    const { stack, template } = synth({ runRetentionDays: '45' });
    const runs = rulesOf(template, logicalIdOf(stack, stack.resultsBucket)).find((rule) => rule.Prefix === 'runs/');
    expect(runs?.ExpirationInDays).toBe(45);
    expect(runs?.Transitions).toBeUndefined();
  });

  it('rejects malformed context at synth time', () => {
    expect(() => synth({ runRetentionDays: 'forever' })).toThrow(/runRetentionDays/);
    expect(() => synth({ bytesScannedCutoffPerQuery: 1024 })).toThrow(/bytesScannedCutoffPerQuery/);
    expect(() => synth({ glueDatabaseName: 'Customer-Segments' })).toThrow(/glueDatabaseName/);
    expect(() => synth({ lakeBucketName: 'Not_A_Bucket' })).toThrow(/lakeBucketName/);
    expect(() => synth({ resultsPrefix: '/segments' })).toThrow(/context resultsPrefix: '\/segments' must be empty or folder names/);
  });
});

describe('SegmentsDataStack Athena and Glue', () => {
  it('enforces the workgroup configuration with a scan cutoff, metrics and encrypted results in the query-results bucket', () => {
    base.template.resourceCountIs('AWS::Athena::WorkGroup', 1);
    base.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 100 * 1024 ** 3,
        ResultConfiguration: Match.objectLike({
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: {
            'Fn::Join': ['', Match.arrayWith([{ Ref: logicalIdOf(base.stack, base.stack.queryResultsBucket) }])],
          },
        }),
      }),
    });
  });

  it('takes the scan cutoff and database name from context', () => {
    const { stack, template } = synth({ bytesScannedCutoffPerQuery: '20000000000', glueDatabaseName: 'shop_lake' });
    const workGroup = stack.workGroup.workGroupConfiguration as athena.CfnWorkGroup.WorkGroupConfigurationProperty;
    expect(workGroup.bytesScannedCutoffPerQuery).toBe(20_000_000_000);
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: Match.objectLike({ Name: 'shop_lake' }) });
  });

  it('creates the Glue database with the default name, keeping the logical id of the CfnDatabase it replaced', () => {
    base.template.resourceCountIs('AWS::Glue::Database', 1);
    const databases = base.template.findResources('AWS::Glue::Database');
    expect(Object.keys(databases)).toEqual(['GlueDatabase']);
    expect(databases.GlueDatabase).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: { CatalogId: { Ref: 'AWS::AccountId' }, DatabaseInput: expect.objectContaining({ Name: 'customer_segments' }) },
    });
  });

  it('outputs the bucket names, workgroup and database', () => {
    for (const output of ['LakeBucketName', 'ResultsBucketName', 'QueryResultsBucketName', 'AccessLogsBucketName', 'AthenaWorkGroupName', 'GlueDatabaseName']) {
      base.template.hasOutput(output, {});
    }
  });

  it('exports the bucket names the compute stack imports under stable names, and hands it the imports', () => {
    for (const name of ['LakeBucketName', 'ResultsBucketName', 'QueryResultsBucketName']) {
      base.template.hasOutput(name, { Export: { Name: `TestDataStack-${name}` } });
    }
    const { refs } = base.stack;
    expect(base.stack.resolve(refs.resultsBucketName)).toEqual({ 'Fn::ImportValue': 'TestDataStack-ResultsBucketName' });
    expect(base.stack.resolve(refs.queryResultsBucketName)).toEqual({ 'Fn::ImportValue': 'TestDataStack-QueryResultsBucketName' });
    expect(base.stack.resolve(refs.lakeBucketName)).toEqual({ 'Fn::ImportValue': 'TestDataStack-LakeBucketName' });
    expect(refs.workGroupName).toBe('TestDataStack-segments');
    expect(refs.glueDatabaseName).toBe('customer_segments');
  });
});

describe('SegmentsDataStack with an existing lake', () => {
  it('imports the bucket named in context instead of creating one', () => {
    const { stack, template } = synth({ lakeBucketName: 'acme-customer-lake' });
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket'));
    expect(buckets.sort()).toEqual(
      [stack.resultsBucket, stack.queryResultsBucket, stack.accessLogsBucket].map((bucket) => logicalIdOf(stack, bucket)).sort(),
    );
    template.resourceCountIs('AWS::S3::BucketPolicy', 3);
    template.hasOutput('LakeBucketName', { Value: 'acme-customer-lake' });
    // A plain name needs no import: the compute stack gets it as it is.
    expect(stack.refs.lakeBucketName).toBe('acme-customer-lake');
  });
});
