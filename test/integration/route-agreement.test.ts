import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '#infra/settings.ts';
import { WorkspaceProvisionerStack } from '#infra/workspace-provisioner-stack.ts';
import { LOCAL_ACCOUNT, localRoutes } from '#local/routing/routes.ts';
import { FUNCTION_NAMES } from '#wiring/functions.ts';
import { STACK_ID } from '#wiring/names.ts';

const REGION = 'us-east-1';

type Resource = { Type: string; Properties: Record<string, unknown> };

/**
 * Resolves the CloudFormation tokens of a synthesized value to the local stack's values: the
 * pseudo parameters (partition, region, account), `Fn::Join`, the cluster's ARN and the bus's name.
 */
function resolver(resources: Record<string, Resource>) {
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const token = value as Record<string, unknown>;
    if ('Ref' in token) {
      const ref = token.Ref as string;
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::Region': REGION,
        'AWS::AccountId': LOCAL_ACCOUNT,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      if (ref in pseudo) return pseudo[ref];
      const resource = resources[ref];
      if (resource?.Type === 'AWS::Events::EventBus') return resource.Properties.Name;
      if (resource?.Type === 'AWS::ECS::Cluster') return resource.Properties.ClusterName;
      throw new Error(`unresolved Ref ${ref} (${resource?.Type})`);
    }
    if ('Fn::Join' in token) {
      const [separator, parts] = token['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => String(resolve(part))).join(separator);
    }
    if ('Fn::GetAtt' in token) {
      const [logicalId, attribute] = token['Fn::GetAtt'] as [string, string];
      const resource = resources[logicalId];
      if (resource?.Type === 'AWS::ECS::Cluster' && attribute === 'Arn') {
        return `arn:aws:ecs:${REGION}:${LOCAL_ACCOUNT}:cluster/${resource.Properties.ClusterName}`;
      }
      if (resource?.Type === 'AWS::Events::EventBus' && attribute === 'Name') return resource.Properties.Name;
      return { 'Fn::GetAtt': [logicalId, attribute] };
    }
    return Object.fromEntries(Object.entries(token).map(([key, inner]) => [key, resolve(inner)]));
  };
  return resolve;
}

describe('the local routes', () => {
  it('agree with the rules the CDK stack synthesizes: pattern, bus, target, retry policy and DLQ', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const settings = parseSettings({});
    const stack = new WorkspaceProvisionerStack(app, STACK_ID, { settings });
    const template = Template.fromStack(stack);
    const resources = template.toJSON().Resources as Record<string, Resource>;
    const resolve = resolver(resources);

    const functionOfLogicalId = new Map(
      FUNCTION_NAMES.map((name) => [
        stack.getLogicalId(stack.functions[name].function.node.defaultChild as never),
        name,
      ]),
    );

    const synthesized = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::Events::Rule' && resource.Properties.EventPattern)
      .map((resource) => {
        const targets = resource.Properties.Targets as Array<Record<string, unknown>>;
        expect(targets).toHaveLength(1);
        const [target] = targets as [Record<string, unknown>];
        const functionArn = target.Arn as { 'Fn::GetAtt': [string, string] };
        return {
          pattern: resolve(resource.Properties.EventPattern),
          bus:
            resource.Properties.EventBusName === undefined
              ? 'default'
              : resolve(resource.Properties.EventBusName),
          target: functionOfLogicalId.get(functionArn['Fn::GetAtt'][0]),
          retryPolicy: {
            maximumRetryAttempts: (target.RetryPolicy as Record<string, number>).MaximumRetryAttempts,
            maximumEventAgeSeconds: (target.RetryPolicy as Record<string, number>).MaximumEventAgeInSeconds,
          },
          deadLetterQueue: target.DeadLetterConfig !== undefined,
        };
      });

    const local = localRoutes({ region: REGION, account: LOCAL_ACCOUNT, catalog: settings.catalog }).map(
      (route) => ({
        pattern: route.pattern,
        bus: route.bus,
        target: route.target,
        retryPolicy: route.retryPolicy,
        deadLetterQueue: route.deadLetterQueue,
      }),
    );

    const byTarget = (left: { target?: string }, right: { target?: string }) =>
      String(left.target).localeCompare(String(right.target));
    expect(synthesized.sort(byTarget)).toEqual(local.sort(byTarget));
    expect(local.map((route) => route.target).sort()).toEqual([
      'assets-staged',
      'deprovision',
      // v1.2: Restart Requested, Status Requested, Workspace Recovering and AWS Health's retirement.
      'lifecycle',
      'lifecycle',
      'lifecycle',
      'lifecycle',
      // v1.3: a stopped task with a data volume, and EBS's snapshot notification.
      'lifecycle',
      'lifecycle',
      'overlay',
      'provision',
      'task-state',
    ]);
  });
});
