import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildSegmentsApp } from '../../infra/segments-app.ts';
import { CDK_JSON_CONTEXT, SKIP_BUNDLING, synthApp } from './synth.ts';

/** cdk-nag's findings for a synthesized app, as `rule @ path` lines (so a failure lists them all). */
const findings = (root: IConstruct) =>
  new AwsSolutionsChecks()
    .validateScope(root)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} @ ${r.constructPath}`));

const acknowledgements = (root: IConstruct) =>
  root.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ at: c.node.path, id: id.replace(/^annotation::/i, ''), reason }))),
    );

afterEach(() => vi.restoreAllMocks());

describe('cdk-nag AwsSolutions', () => {
  const { app } = synthApp();

  it('finds nothing unacknowledged in the default app, errors or warnings', () => {
    expect(findings(app)).toEqual([]);
  });

  it('finds nothing with an imported lake, prefixes and CSV/JSON tables either (acknowledgements follow the settings)', () => {
    const other = synthApp({
      lakeBucketName: 'acme-lake',
      lakePrefix: 'exports/',
      resultsPrefix: 'segments/',
      lakeFormats: 'customers=csv,events=jsonl',
      glueDatabaseName: 'shop',
    });
    expect(findings(other.app)).toEqual([]);
  });

  it('acknowledges only these rules, each next to its resource and with a reason', () => {
    const acks = acknowledgements(app);
    expect(acks.map((a) => `${a.at} ${a.id.replace(/\[Resource::.*\]$/, '[…]')}`).sort()).toEqual(
      [
        'SegmentsRefreshStack/Refresh/FailedInvocations AwsSolutions-SQS3',
        'SegmentsRefreshStack/Refresh/Function AwsSolutions-L1',
        // Glue run tables, three lake table folders, runs/, work/, Athena output.
        ...Array<string>(7).fill('SegmentsRefreshStack/Refresh/Role AwsSolutions-IAM5[…]'),
        'SegmentsRefreshStack/Schedule/DeadLetters AwsSolutions-SQS3',
        'SegmentsRefreshStack/Schedule/InvokeRole AwsSolutions-IAM5[…]',
      ].sort(),
    );
    for (const ack of acks) expect(ack.reason.length, ack.id).toBeGreaterThan(40);
  });

  it('is registered on the app, so an unacknowledged violation fails the synth', () => {
    const built = buildSegmentsApp({ context: { ...CDK_JSON_CONTEXT, ...SKIP_BUNDLING } });
    new sqs.Queue(built.refresh, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => built.app.synth()).toThrow(/SegmentsRefreshStack\/Unencrypted\/Resource[\s\S]*AwsSolutions-SQS2/);
  });
});
