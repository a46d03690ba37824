import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag v3 names each wildcard finding after the resource as it appears in the template, with
 * references flattened (`<Logical.Arn>`, `<AWS::Region>`). These helpers compute that name from the
 * same token the grant used, so an acknowledgment sits next to the grant that needs it and
 * follows it when logical ids change.
 */

type CfnValue = string | number | boolean | null | undefined | CfnValue[] | { [key: string]: CfnValue };

/** The rendering cdk-nag uses for finding ids (see its `flattenCfnReference`). */
export function flattenForNag(value: CfnValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && !Array.isArray(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, CfnValue[]];
      return items.map(flattenForNag).join(delimiter);
    }
    if ('Fn::Sub' in value) return flattenForNag(value['Fn::Sub']);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenForNag(getAtt[0])}.${flattenForNag(getAtt[1])}>`;
    if ('Fn::ImportValue' in value) return flattenForNag(value['Fn::ImportValue']);
    if ('Ref' in value) return `<${flattenForNag(value.Ref)}>`;
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges `AwsSolutions-IAM5` for one wildcard resource granted to `principal`, with the
 * reason the wildcard is needed.
 */
export function acknowledgeWildcardResource(principal: unknown, resource: string, reason: string): void {
  if (!isConstruct(principal)) return;
  const rendered = flattenForNag(Stack.of(principal).resolve(resource) as CfnValue);
  Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${rendered}]`, reason });
}

function isConstruct(value: unknown): value is IConstruct {
  return typeof value === 'object' && value !== null && 'node' in value;
}
