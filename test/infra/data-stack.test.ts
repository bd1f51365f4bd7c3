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
  it('creates the lake, results and query-results buckets, each blocking public access and encrypted', () => {
    const buckets = base.template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(3);
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

  it('creates the Glue database with the default name', () => {
    base.template.resourceCountIs('AWS::Glue::Database', 1);
    base.template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: Match.objectLike({ Name: 'customer_segments' }),
    });
  });

  it('outputs the bucket names, workgroup and database', () => {
    for (const output of ['LakeBucketName', 'ResultsBucketName', 'QueryResultsBucketName', 'AthenaWorkGroupName', 'GlueDatabaseName']) {
      base.template.hasOutput(output, {});
    }
  });
});

describe('SegmentsDataStack with an existing lake', () => {
  it('imports the bucket named in context instead of creating one', () => {
    const { stack, template } = synth({ lakeBucketName: 'acme-customer-lake' });
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket'));
    expect(buckets.sort()).toEqual(
      [logicalIdOf(stack, stack.resultsBucket), logicalIdOf(stack, stack.queryResultsBucket)].sort(),
    );
    template.resourceCountIs('AWS::S3::BucketPolicy', 2);
    template.hasOutput('LakeBucketName', { Value: 'acme-customer-lake' });
  });
});
