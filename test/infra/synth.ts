import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { buildSegmentsApp, type SegmentsApp } from '../../infra/segments-app.ts';

/** The feature flags from cdk.json, so the tests see the templates `cdk synth` produces. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> }
).context;

/** Skips esbuild: a template test needs the asset's place in the template, not its content. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

export interface SynthesizedApp extends SegmentsApp {
  readonly dataTemplate: Template;
  readonly refreshTemplate: Template;
}

/** Builds and synthesizes the whole app (both stacks, cdk-nag registered) as `cdk synth` does. */
export function synthApp(context: Record<string, unknown> = {}, bundle = false): SynthesizedApp {
  const built = buildSegmentsApp({ context: { ...CDK_JSON_CONTEXT, ...(bundle ? {} : SKIP_BUNDLING), ...context } });
  return {
    ...built,
    dataTemplate: Template.fromStack(built.data),
    refreshTemplate: Template.fromStack(built.refresh),
  };
}

export type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
};

/** Every statement of every identity policy (AWS::IAM::Policy and inline role policies) in a template. */
export function identityStatements(template: Template): { resource: string; statement: Statement }[] {
  const out: { resource: string; statement: Statement }[] = [];
  for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) out.push({ resource: id, statement });
  }
  for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    for (const policy of (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
      for (const statement of policy.PolicyDocument.Statement) out.push({ resource: id, statement });
    }
  }
  return out;
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * A template value as readable text: `Fn::Join`s concatenated, references as `<LogicalId>` / `<LogicalId.Attr>`,
 * imports as `import:<name>`, `Fn::Sub` as its pattern — enough to compare ARNs as strings.
 */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, any>;
    if (node['Fn::Join']) return (node['Fn::Join'][1] as unknown[]).map(flat).join(node['Fn::Join'][0] as string);
    if (node.Ref) return `<${node.Ref}>`;
    if (node['Fn::GetAtt']) return `<${(node['Fn::GetAtt'] as string[]).join('.')}>`;
    if (node['Fn::ImportValue']) return `import:${flat(node['Fn::ImportValue'])}`;
    if (node['Fn::Sub']) return flat(node['Fn::Sub']);
  }
  return JSON.stringify(value);
}
