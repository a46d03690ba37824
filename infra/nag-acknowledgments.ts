import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { BOOT_PREFIX, SECRETS_PREFIX, STAGED_PREFIX } from '#core/workspace-files.ts';

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

/**
 * Why a workspace files grant names a key pattern with `*`: the ids in the keys (org, workspace,
 * request) are known only per request, and each pattern stays under one prefix of the layout in
 * `core/workspace-files.ts`.
 */
export function workspaceFilesWildcardReason(keyPattern: string): string {
  if (keyPattern.startsWith(SECRETS_PREFIX)) {
    return `Secrets files are per org and workspace; "${keyPattern}" names one kind of secrets file the provisioner derives (org.env, platform.env or a workspace's secrets.env) for any org, read by the ECS agent as an env file.`;
  }
  if (keyPattern.startsWith(BOOT_PREFIX)) {
    return `Boot bundles are written per request as boot/<org>/<workspace>/<request>.env; "${keyPattern}" stays under boot/, which holds boot bundles only.`;
  }
  if (keyPattern.startsWith(STAGED_PREFIX)) {
    return `Template assets are staged per request under staged/<org>/<workspace>/<request>/; "${keyPattern}" stays under staged/, which holds staged assets only.`;
  }
  throw new Error(`no reason is recorded for the workspace files key pattern ${keyPattern}`);
}

/**
 * Acknowledges `AwsSolutions-ECS2` on a workspace task definition: its one environment variable is
 * `WORKSPACE_CONFIG_PATH=/configs`, a path the runtime reads its config from, not a secret.
 */
export function acknowledgeEnvironmentPath(taskDefinition: IConstruct): void {
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'The only variable in the task definition is WORKSPACE_CONFIG_PATH=/configs, where the boot step put the files; secrets reach a workspace as S3 env files in the RunTask overrides, never here.',
  });
}

/**
 * Acknowledges cfn-lint's E1029 on a workspace task definition: the boot step's `sh` script uses
 * shell parameters (`${BOOT_CONFIGS_DIR:-/configs}`), which CloudFormation leaves alone outside
 * `Fn::Sub`; cfn-lint takes them for template parameters.
 */
export function acknowledgeShellParameters(taskDefinition: IConstruct): void {
  Validations.of(taskDefinition).acknowledge({
    id: 'CloudFormation-Validate::E1029',
    reason:
      "The boot step's command is a shell script whose dollar-brace names are shell parameters; CloudFormation substitutes those only inside Fn::Sub, so the script reaches ECS unchanged.",
  });
}

/**
 * Acknowledges `AwsSolutions-IAM4` for one AWS managed policy attached to `role`, with the reason
 * that policy is the right one (the only managed policy the stack attaches: the one ECS documents
 * for its infrastructure role, which AWS keeps current as ECS's volume management changes).
 */
export function acknowledgeManagedPolicy(role: IConstruct, policyArn: string, reason: string): void {
  const rendered = flattenForNag(Stack.of(role).resolve(policyArn) as CfnValue);
  Validations.of(role).acknowledge({ id: `AwsSolutions-IAM4[Policy::${rendered}]`, reason });
}
