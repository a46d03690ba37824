import { describe, expect, it } from 'vitest';
import { deploymentCatalog } from '#adapters/deployment-catalog.ts';
import {
  envFlag,
  envList,
  envVar,
  readCatalogEnvironment,
  readDataSettings,
  readEventSettings,
  readInstrumentationEnvironment,
  readLaunchTarget,
} from '#adapters/environment.ts';
import { EnvironmentError } from '#adapters/errors.ts';
import {
  DEFAULT_DATA_SAVE_WAIT_SECONDS,
  DEFAULT_DATA_SNAPSHOT_RETENTION,
  DEFAULT_DATA_TAG,
} from '#wiring/names.ts';

const launchEnv = {
  CLUSTER_ARN: 'arn:aws:ecs:us-east-1:123456789012:cluster/workspaces',
  SUBNET_IDS: ' subnet-a , subnet-b,, ',
  SECURITY_GROUP_IDS: 'sg-1',
};

describe('environment', () => {
  it('trims a value', () => {
    expect(envVar('EVENT_BUS_NAME', { env: { EVENT_BUS_NAME: '  workspaces \n' } })).toBe('workspaces');
  });

  it('fails fast naming a missing or blank variable, never its value', () => {
    expect(() => envVar('EVENT_BUS_NAME', { env: {} })).toThrow(
      new EnvironmentError('Environment variable EVENT_BUS_NAME is required'),
    );
    expect(() => envVar('EVENT_BUS_NAME', { env: { EVENT_BUS_NAME: '   ' } })).toThrow(
      'Environment variable EVENT_BUS_NAME is required',
    );
  });

  it('takes an explicit default', () => {
    expect(envVar('ASSIGN_PUBLIC_IP', { env: {}, default: 'DISABLED' })).toBe('DISABLED');
  });

  it('reads comma lists and refuses an empty one', () => {
    expect(envList('SUBNET_IDS', launchEnv)).toEqual(['subnet-a', 'subnet-b']);
    expect(() => envList('SUBNET_IDS', { SUBNET_IDS: ' , ' })).toThrow(
      'Environment variable SUBNET_IDS must list at least one value',
    );
  });

  it('reads flags', () => {
    expect(envFlag('POWERTOOLS_TRACE_ENABLED', true, {})).toBe(true);
    expect(envFlag('POWERTOOLS_TRACE_ENABLED', true, { POWERTOOLS_TRACE_ENABLED: 'FALSE' })).toBe(false);
    expect(() => envFlag('POWERTOOLS_TRACE_ENABLED', true, { POWERTOOLS_TRACE_ENABLED: 'maybe' })).toThrow(
      EnvironmentError,
    );
  });

  it('reads the launch target, with public IPs off unless asked for', () => {
    expect(readLaunchTarget(launchEnv)).toEqual({
      cluster: launchEnv.CLUSTER_ARN,
      subnets: ['subnet-a', 'subnet-b'],
      securityGroups: ['sg-1'],
      assignPublicIp: 'DISABLED',
    });
    expect(readLaunchTarget({ ...launchEnv, ASSIGN_PUBLIC_IP: 'enabled' }).assignPublicIp).toBe('ENABLED');
    expect(() => readLaunchTarget({ ...launchEnv, ASSIGN_PUBLIC_IP: 'sometimes' })).toThrow(
      'Environment variable ASSIGN_PUBLIC_IP must be ENABLED or DISABLED',
    );
  });

  it('reads the data settings: no data volumes without the role, the defaults otherwise', () => {
    expect(readDataSettings({})).toEqual({
      dataSnapshotRetention: DEFAULT_DATA_SNAPSHOT_RETENTION,
      dataSaveWaitSeconds: DEFAULT_DATA_SAVE_WAIT_SECONDS,
    });
    const roleArn = 'arn:aws:iam::123456789012:role/ecs-infrastructure';
    expect(readDataSettings({ DATA_VOLUME_ROLE_ARN: roleArn }).dataVolumes).toEqual({
      roleArn,
      dataTag: DEFAULT_DATA_TAG,
    });
    expect(
      readDataSettings({
        DATA_VOLUME_ROLE_ARN: roleArn,
        DATA_VOLUME_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
        DATA_TAG: 'staging',
        DATA_SNAPSHOT_RETENTION: '7',
        DATA_SAVE_WAIT_SECONDS: '0',
      }),
    ).toEqual({
      dataVolumes: { roleArn, kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k-1', dataTag: 'staging' },
      dataSnapshotRetention: 7,
      dataSaveWaitSeconds: 0,
    });
  });

  const badData: ReadonlyArray<[string, string, string]> = [
    ['DATA_SNAPSHOT_RETENTION', '0', 'must be a whole number from 1 to 100'],
    ['DATA_SNAPSHOT_RETENTION', '2.5', 'must be a whole number from 1 to 100'],
    ['DATA_SAVE_WAIT_SECONDS', '901', 'must be a whole number from 0 to 900'],
    ['DATA_SAVE_WAIT_SECONDS', 'soon', 'must be a whole number from 0 to 900'],
    ['DATA_VOLUME_ROLE_ARN', 'ecs-infrastructure', 'must be an IAM role ARN'],
  ];
  it.each(badData)('refuses %s=%s, naming the variable and never its value', (name, value, message) => {
    let thrown: unknown;
    try {
      readDataSettings({ [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EnvironmentError);
    expect((thrown as Error).message).toBe(`Environment variable ${name} ${message}`);
  });

  it('reads the event settings', () => {
    expect(readEventSettings({ EVENT_BUS_NAME: 'bus', PROVISIONER_SOURCE: 'src' })).toEqual({
      eventBusName: 'bus',
      provisionerSource: 'src',
    });
    expect(() => readEventSettings({ EVENT_BUS_NAME: 'bus' })).toThrow(
      'Environment variable PROVISIONER_SOURCE is required',
    );
  });

  it('applies the image registry, tag and tier sizing to the catalog', () => {
    const catalog = deploymentCatalog(
      readCatalogEnvironment({
        IMAGE_REGISTRY: 'registry.example.com/team',
        IMAGE_TAG: ' v7 ',
        TIER_SIZING: '1=512/1024',
      }),
    );
    expect(catalog.runtimes.codex?.image).toBe('registry.example.com/team/workspace-template-codex:v7');
    expect(catalog.tiers['1']).toEqual({ cpu: 512, memory: 1024 });
    expect(deploymentCatalog(readCatalogEnvironment({ IMAGE_TAG: '  ' })).runtimes.codex?.image).toBe(
      'ghcr.io/molecule-ai/workspace-template-codex:latest',
    );
  });

  it('applies TASK_DEFINITION_ARNS and IMAGE_DIGESTS from the environment to the catalog', () => {
    const arn = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/workspace-claude-code:12';
    const digest = `sha256:${'ab'.repeat(32)}`;
    const catalog = deploymentCatalog(
      readCatalogEnvironment({
        TASK_DEFINITION_ARNS: ` claude-code=${arn} `,
        IMAGE_DIGESTS: `codex=${digest}`,
      }),
    );
    expect(catalog.runtimes['claude-code']?.taskDefinition).toBe(arn);
    expect(catalog.runtimes.codex?.taskDefinition).toBe('workspace-codex');
    expect(catalog.runtimes.codex?.image).toBe(`ghcr.io/molecule-ai/workspace-template-codex@${digest}`);
  });

  it.each([
    [{ TASK_DEFINITION_ARNS: 'codex=workspace-codex' }, 'must be a task definition revision ARN'],
    [
      { TASK_DEFINITION_ARNS: 'nobody=arn:aws:ecs:eu-west-1:123456789012:task-definition/x:1' },
      'unknown runtime "nobody"',
    ],
    [{ TASK_DEFINITION_ARNS: 'codex' }, 'must look like <runtime>=<value>'],
    [{ IMAGE_DIGESTS: 'codex=sha256:abc' }, 'must be sha256: and 64 lower-case hex digits'],
  ])('refuses %j', (env, message) => {
    expect(() => deploymentCatalog(readCatalogEnvironment(env))).toThrow(message);
  });

  it('refuses malformed tier sizing from the environment', () => {
    expect(() => deploymentCatalog(readCatalogEnvironment({ TIER_SIZING: '1=lots' }))).toThrow(/tier/i);
  });

  it('names the service after the function unless POWERTOOLS_SERVICE_NAME says otherwise', () => {
    expect(readInstrumentationEnvironment('provision', {})).toEqual({
      serviceName: 'workspace-provisioner-provision',
      metricsNamespace: 'WorkspaceProvisioner',
      tracingEnabled: true,
    });
    expect(
      readInstrumentationEnvironment('overlay', {
        POWERTOOLS_SERVICE_NAME: 'svc',
        POWERTOOLS_METRICS_NAMESPACE: 'Ns',
      }),
    ).toMatchObject({
      serviceName: 'svc',
      metricsNamespace: 'Ns',
    });
  });
});
