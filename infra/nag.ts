import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag 3 acknowledgements. They are recorded on the construct (and hold for everything below it), so each call
 * sits next to the resource it excuses, with the reason in the code that makes it true.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: rule, reason });
}

/**
 * Acknowledges AwsSolutions-IAM5 for specific wildcard resources. cdk-nag 3 names each finding after the resource
 * as it appears in the template (with references flattened to `<Logical.Attr>`, `<AWS::Region>`, an export's
 * name), and has no prefix matching, so the ids are computed here from the same values the policy uses. Values
 * must not depend on references resolved later at synth (implicit cross-stack references): that is why the data
 * stack hands over named imports.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    const flat = flattenForNag(stack.resolve(resource));
    if (!flat.includes('*')) throw new Error(`${resource} has no wildcard; nothing to acknowledge`);
    acknowledge(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
  }
}

/** A resolved CloudFormation value as cdk-nag's IAM5 rule prints it. */
export function flattenForNag(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenForNag).join(delimiter);
    }
    if (node['Fn::Sub'] !== undefined) return flattenForNag(node['Fn::Sub']);
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [logicalId, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenForNag(logicalId)}.${flattenForNag(attribute)}>`;
    }
    if (node['Fn::ImportValue'] !== undefined) return flattenForNag(node['Fn::ImportValue']);
    if (node.Ref !== undefined) return `<${flattenForNag(node.Ref)}>`;
  }
  return JSON.stringify(value);
}
