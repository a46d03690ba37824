import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseSettings, type RawContext } from '#infra/settings.ts';
import { WorkspaceProvisionerStack } from '#infra/workspace-provisioner-stack.ts';
import { STACK_ID } from '#wiring/names.ts';

/**
 * Builds the stack as `infra/app.ts` does, from raw context values, without bundling the handlers
 * (synth.test.ts bundles them for real through the CDK CLI) and, unless asked, without CDK's
 * built-in CloudFormation validation, which costs seconds per synth (nag.test.ts and the CLI run it).
 */
export function buildStack(
  context: RawContext = {},
  options: { readonly builtinValidation?: boolean } = {},
): { app: App; stack: WorkspaceProvisionerStack } {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.builtinValidation ?? false,
  });
  const stack = new WorkspaceProvisionerStack(app, STACK_ID, { settings: parseSettings(context) });
  return { app, stack };
}

export function synth(context: RawContext = {}): { stack: WorkspaceProvisionerStack; template: Template } {
  const { stack } = buildStack(context);
  return { stack, template: Template.fromStack(stack) };
}

/** Context that imports an existing bus, VPC, subnets, security group and cluster. */
export const IMPORTS: RawContext = {
  existingEventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/platform-events',
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: 'eu-west-1a,eu-west-1b',
  privateSubnetIds: 'subnet-0aaa1111,subnet-0bbb2222',
  securityGroupIds: 'sg-0123456789abcdef0',
  existingClusterName: 'shared-workspaces',
};

type Resource = { Type: string; Properties: Record<string, unknown> };

/** Resources of a type, keyed by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The IAM statements attached to a role (through its policies), keyed by role logical id prefix. */
export function statementsOfRole(template: Template, roleIdPrefix: string): Array<Record<string, unknown>> {
  const roleIds = Object.keys(resourcesOf(template, 'AWS::IAM::Role')).filter((id) =>
    id.startsWith(roleIdPrefix),
  );
  if (roleIds.length !== 1)
    throw new Error(`expected one role starting with ${roleIdPrefix}; found ${roleIds.join(', ')}`);
  const statements: Array<Record<string, unknown>> = [];
  for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
    const roles = (policy.Properties.Roles ?? []) as Array<{ Ref: string }>;
    if (!roles.some((role) => role.Ref === roleIds[0])) continue;
    const document = policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> };
    statements.push(...document.Statement);
  }
  return statements;
}

/** Every action a role may perform. */
export function actionsOfRole(template: Template, roleIdPrefix: string): string[] {
  return statementsOfRole(template, roleIdPrefix)
    .flatMap(
      (statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]) as string[],
    )
    .sort();
}

/**
 * An ECS ARN as CDK synthesizes it for this env-agnostic stack:
 * `arn:${Partition}:ecs:${Region}:${AccountId}` followed by `tail` (strings or tokens).
 */
export function ecsArn(...tail: unknown[]): { 'Fn::Join': [string, unknown[]] } {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':ecs:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ...tail,
      ],
    ],
  };
}
