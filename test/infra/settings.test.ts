import { existsSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#config/errors.ts';
import {
  CONTEXT_OPTIONS,
  CREATED_VPC_ZONES,
  DATA_SAVE_WAIT_RANGE,
  parseSettings,
  type RawContext,
  settingsFromContext,
} from '#infra/settings.ts';
import { FUNCTIONS } from '#wiring/functions.ts';
import {
  DEFAULT_DATA_SAVE_WAIT_SECONDS,
  DEFAULT_DATA_SNAPSHOT_RETENTION,
  DEFAULT_DATA_TAG,
  DEFAULT_PROVISION_RESERVED_CONCURRENCY,
} from '#wiring/names.ts';

const problemsOf = (raw: RawContext): string => {
  try {
    parseSettings(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected parseSettings to throw');
};

const IMPORTED_VPC: RawContext = {
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: 'eu-west-1a,eu-west-1b',
  privateSubnetIds: 'subnet-0aaa1111,subnet-0bbb2222',
};

describe('deployment settings', () => {
  it('creates the workspaces bus, a VPC and the workspaces cluster by default', () => {
    const settings = parseSettings();
    expect(settings.eventBus).toEqual({ mode: 'create', name: 'workspaces' });
    expect(settings.vpc).toBeUndefined();
    expect(settings.securityGroupIds).toBeUndefined();
    expect(settings).toMatchObject({ clusterName: 'workspaces', importCluster: false });
    expect(settings.requestSources).toEqual(['platform.workspace-server']);
    expect(settings.provisionerSource).toBe('platform.provisioner');
    expect(settings.publisherAccountIds).toEqual([]);
    expect(settings.provisionReservedConcurrency).toBe(DEFAULT_PROVISION_RESERVED_CONCURRENCY);
    expect(settings.logRetentionDays).toBe(30);
  });

  it('reads lists as comma-separated strings from -c and as JSON arrays from cdk.json', () => {
    const fromFlag = parseSettings({ requestSources: ' a.b , c.d ', publisherAccountIds: '111122223333' });
    const fromJson = parseSettings({ requestSources: ['a.b', 'c.d'], publisherAccountIds: ['111122223333'] });
    expect(fromFlag.requestSources).toEqual(['a.b', 'c.d']);
    expect(fromJson.requestSources).toEqual(['a.b', 'c.d']);
    expect(fromFlag.publisherAccountIds).toEqual(fromJson.publisherAccountIds);
  });

  it('imports a bus by name or by ARN', () => {
    expect(parseSettings({ existingEventBusName: 'platform' }).eventBus).toEqual({
      mode: 'import-by-name',
      name: 'platform',
    });
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/platform';
    expect(parseSettings({ existingEventBusArn: arn }).eventBus).toEqual({ mode: 'import-by-arn', arn });
  });

  it('imports a VPC from attributes, with its subnets and security groups', () => {
    const settings = parseSettings({
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: 'eu-west-1a,eu-west-1b',
      privateSubnetIds: 'subnet-0aaa1111,subnet-0bbb2222',
      securityGroupIds: 'sg-0123456789abcdef0',
    });
    expect(settings.vpc).toEqual({
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'],
    });
    expect(settings.securityGroupIds).toEqual(['sg-0123456789abcdef0']);
  });

  it('parses reserved concurrency from a string, and "none" as no reservation', () => {
    expect(parseSettings({ provisionReservedConcurrency: '25' }).provisionReservedConcurrency).toBe(25);
    expect(
      parseSettings({ provisionReservedConcurrency: 'none' }).provisionReservedConcurrency,
    ).toBeUndefined();
  });

  it('applies registry, tag and tier sizing to the catalog', () => {
    const { catalog } = parseSettings({
      imageRegistry: '123456789012.dkr.ecr.us-east-1.amazonaws.com/ws',
      imageTag: 'v42',
      tierSizing: '4=4096/8192',
    });
    expect(catalog.runtimes.codex?.image).toBe(
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/ws/workspace-template-codex:v42',
    );
    expect(catalog.tiers['4']).toEqual({ cpu: 4096, memory: 8192 });
    expect(catalog.tiers['1']).toEqual({ cpu: 256, memory: 512 });
  });

  it.each([
    [{ vpcId: 'vpc-123' }, 'context option "vpcId" must look like "vpc-0123456789abcdef0"; got "vpc-123"'],
    [{ vpcId: 'vpc-0123456789abcdef0' }, '"availabilityZones" is required with "vpcId"'],
    [{ privateSubnetIds: 'subnet-0aaa1111' }, '"privateSubnetIds" needs "vpcId"'],
    [{ securityGroupIds: 'sg-0123456789abcdef0' }, '"securityGroupIds" needs "vpcId"'],
    [
      {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: 'eu-west-1a,eu-west-1b',
        privateSubnetIds: 'subnet-0aaa1111,subnet-0bbb2222,subnet-0ccc3333',
      },
      'must list a multiple of the 2 availability zones',
    ],
    [
      { existingEventBusName: 'a', existingEventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/b' },
      'cannot be combined with "existingEventBusName"',
    ],
    [{ existingEventBusArn: 'platform' }, '"existingEventBusArn" must look like'],
    [
      { existingEventBusName: 'platform', publisherAccountIds: '111122223333' },
      'applies to the bus the stack creates',
    ],
    [{ publisherAccountIds: '1234' }, '"publisherAccountIds" has invalid entries "1234"'],
    [{ publisherOrgId: 'org-1' }, '"publisherOrgId" must look like "o-a1b2c3d4e5"'],
    [{ requestSources: 'aws.ecs' }, 'reserved for AWS services'],
    [{ requestSources: 'a.b,a.b' }, 'lists "a.b" more than once'],
    [{ provisionerSource: 'platform.workspace-server' }, 'must differ from every request source'],
    [
      { provisionReservedConcurrency: '0' },
      '"provisionReservedConcurrency" must be a whole number from 1 to 1000',
    ],
    [{ provisionReservedConcurrency: 'ten' }, '"provisionReservedConcurrency" must be a whole number'],
    [{ tierSizing: '2=300/512' }, 'not a valid Fargate size'],
    [{ tierSizing: '5=256/512' }, 'must look like <tier>=<cpu>/<memory>'],
    [{ imageTag: 'bad tag' }, 'tag must be a valid image tag'],
    [{ logRetentionDays: '10' }, '"logRetentionDays" must be one CloudWatch Logs accepts'],
    [{ alarmTopicArn: 'alerts' }, '"alarmTopicArn" must look like'],
    [{ existingClusterName: 'bad name' }, '"existingClusterName" must look like'],
  ] as Array<[RawContext, string]>)('rejects %j, naming the option', (raw, expected) => {
    expect(problemsOf(raw)).toContain(expected);
  });

  it('reports every problem at once', () => {
    const message = problemsOf({ vpcId: 'nope', publisherOrgId: 'nope', provisionReservedConcurrency: '-1' });
    expect(message.match(/^- /gm)).toHaveLength(3);
    expect(message).toContain('-c name=value');
  });

  it('reads the options from CDK context, as -c passes them', () => {
    const app = new App({
      context: {
        provisionReservedConcurrency: '3',
        requestSources: 'a.b,c.d',
        existingClusterName: 'shared',
      },
    });
    const settings = settingsFromContext(app.node);
    expect(settings.provisionReservedConcurrency).toBe(3);
    expect(settings.requestSources).toEqual(['a.b', 'c.d']);
    expect(settings).toMatchObject({ clusterName: 'shared', importCluster: true });
  });

  it('reads the workspace files, boot image, assets timeout and ingress options from CDK context', () => {
    const bootImage = `public.ecr.aws/docker/library/busybox@sha256:${'ab'.repeat(32)}`;
    const app = new App({
      context: {
        workspaceFilesBucketName: 'acme-workspace-files',
        bootImage,
        templateAssetsTimeoutSeconds: '120',
        workspaceIngress: 'sg-0123456789abcdef0',
      },
    });
    expect(settingsFromContext(app.node)).toMatchObject({
      workspaceFiles: { mode: 'import', bucketName: 'acme-workspace-files' },
      bootImage,
      templateAssetsTimeoutSeconds: 120,
      workspaceIngress: [{ kind: 'security-group', id: 'sg-0123456789abcdef0' }],
    });
  });

  it('reads the v1.2 recovery options, defaults to 5 recoveries in 1800 s with a 10 s backoff, and refuses values out of range', () => {
    expect(settingsFromContext(new App().node)).toMatchObject({
      recoveryAttempts: 5,
      recoveryWindowSeconds: 1800,
      recoveryBackoffSeconds: 10,
    });
    const custom = new App({
      context: { recoveryAttempts: '3', recoveryWindowSeconds: '3600', recoveryBackoffSeconds: '0' },
    });
    expect(settingsFromContext(custom.node)).toMatchObject({
      recoveryAttempts: 3,
      recoveryWindowSeconds: 3600,
      recoveryBackoffSeconds: 0,
    });
    for (const [option, value] of [
      ['recoveryAttempts', '0'],
      ['recoveryWindowSeconds', '59'],
      ['recoveryBackoffSeconds', '121'],
    ]) {
      expect(() => settingsFromContext(new App({ context: { [option as string]: value } }).node)).toThrow(
        `"${option}"`,
      );
    }
  });

  it('reads the v1.3 data options with their defaults', () => {
    expect(settingsFromContext(new App().node)).toMatchObject({
      dataSnapshotRetention: DEFAULT_DATA_SNAPSHOT_RETENTION,
      dataSaveWaitSeconds: DEFAULT_DATA_SAVE_WAIT_SECONDS,
      dataTag: DEFAULT_DATA_TAG,
    });
    const custom = new App({
      context: { dataSnapshotRetention: '1', dataSaveWaitSeconds: '10', dataTag: 'acme ws:prod/eu=1+@_.-' },
    });
    expect(settingsFromContext(custom.node)).toMatchObject({
      dataSnapshotRetention: 1,
      dataSaveWaitSeconds: 10,
      dataTag: 'acme ws:prod/eu=1+@_.-',
    });
    // JSON values in cdk.json arrive as numbers.
    expect(
      parseSettings({ dataSnapshotRetention: 100, dataSaveWaitSeconds: DATA_SAVE_WAIT_RANGE.max }),
    ).toMatchObject({
      dataSnapshotRetention: 100,
      dataSaveWaitSeconds: DATA_SAVE_WAIT_RANGE.max,
    });
  });

  it('bounds dataSaveWaitSeconds by the lifecycle function timeout, leaving it 30 seconds to launch', () => {
    expect(DATA_SAVE_WAIT_RANGE).toEqual({ min: 10, max: FUNCTIONS.lifecycle.timeoutSeconds - 30 });
    expect(DEFAULT_DATA_SAVE_WAIT_SECONDS).toBeLessThanOrEqual(DATA_SAVE_WAIT_RANGE.max);
  });

  it.each([
    ['dataSnapshotRetention', '0', 'must be a whole number from 1 to 100; got "0"'],
    ['dataSnapshotRetention', '101', 'must be a whole number from 1 to 100; got "101"'],
    ['dataSnapshotRetention', '2.5', 'must be a whole number from 1 to 100'],
    ['dataSaveWaitSeconds', '9', `must be a whole number from 10 to ${DATA_SAVE_WAIT_RANGE.max}; got "9"`],
    [
      'dataSaveWaitSeconds',
      String(DATA_SAVE_WAIT_RANGE.max + 1),
      `must be a whole number from 10 to ${DATA_SAVE_WAIT_RANGE.max}`,
    ],
    ['dataSaveWaitSeconds', 'soon', 'must be a whole number'],
    // EC2 tag values: letters, digits, spaces and _ . : / = + - @, up to 256
    // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).
    ['dataTag', 'acme*', 'must be an EC2 tag value: 1 to 256 letters, digits, spaces and _ . : / = + - @'],
    ['dataTag', 'a,b', 'must be an EC2 tag value'],
    ['dataTag', 'x'.repeat(257), 'must be an EC2 tag value'],
  ])('refuses %s=%s, naming the option', (option, value, message) => {
    expect(problemsOf({ [option]: value } as RawContext)).toContain(`context option "${option}" ${message}`);
  });

  it('accepts a dataTag of 256 characters, the EC2 limit', () => {
    expect(parseSettings({ dataTag: 'x'.repeat(256) }).dataTag).toHaveLength(256);
  });

  it('refuses an option spelled with the wrong case instead of ignoring it', () => {
    const app = new App({ context: { vpcID: 'vpc-0123456789abcdef0' } });
    expect(() => settingsFromContext(app.node)).toThrow(
      'context option "vpcID" is unknown; did you mean "vpcId"?',
    );
  });

  it.each([
    // A misspelling, a near miss and an option that never existed: each named, with its nearest option.
    ['alarmTopic', 'alarmTopicArn'],
    ['publisherAccountId', 'publisherAccountIds'],
    ['natGateway', 'natGateways'],
    ['imageDigest', 'imageDigests'],
    ['existingBusName', 'existingEventBusName'],
    ['vpcID', 'vpcId'],
    // The options of issue 12 are known too, so their misspellings fail the same way.
    ['workspaceIngres', 'workspaceIngress'],
    ['bootimage', 'bootImage'],
    ['workspaceFilesBucket', 'workspaceFilesBucketName'],
    ['templateAssetsTimeoutSecs', 'templateAssetsTimeoutSeconds'],
  ])('fails on the unknown context key %s, naming the nearest option %s', (key, nearest) => {
    const app = new App({ context: { [key]: 'x' } });
    expect(() => settingsFromContext(app.node)).toThrow(
      `context option "${key}" is unknown; did you mean "${nearest}"?`,
    );
  });

  it.each([
    // Feature flags and the toolkit's own settings, as cdk.json and the CLI pass them.
    ['@aws-cdk/core:checkSecretUsage', true],
    ['@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver', true],
    ['aws:cdk:bundling-stacks', ['**']],
    ['aws:cdk:enable-path-metadata', true],
    ['aws:cdk:version-reporting', false],
    // Cached lookups in cdk.context.json.
    ['availability-zones:account=123456789012:region=eu-west-1', ['eu-west-1a']],
    // Keys the CLI writes without a colon: `cdk cli-telemetry` and `cdk acknowledge`.
    ['cli-telemetry', false],
    ['acknowledged-issue-numbers', [12345]],
    ['cdk-toolkit-setting', 'x'],
  ])('leaves CDK its own context key %s', (key, value) => {
    const app = new App({ context: { [key]: value } });
    expect(() => settingsFromContext(app.node)).not.toThrow();
  });

  it('names every unknown key at once', () => {
    const app = new App({ context: { alarmTopic: 'x', natGateway: '1' } });
    expect(() => settingsFromContext(app.node)).toThrow(
      /"alarmTopic" is unknown[\s\S]*"natGateway" is unknown/,
    );
  });

  it('reads the network, alarm and digest options', () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    const settings = parseSettings({
      natGateways: '1',
      interfaceEndpoints: 'true',
      alarmEmail: 'oncall@example.com',
      imageDigests: `codex=${digest}`,
    });
    expect(settings).toMatchObject({
      natGateways: 1,
      interfaceEndpoints: true,
      alarmEmail: 'oncall@example.com',
    });
    expect(settings.catalog.runtimes.codex?.image).toBe(
      `ghcr.io/molecule-ai/workspace-template-codex@${digest}`,
    );
    expect(parseSettings()).toMatchObject({ natGateways: CREATED_VPC_ZONES, interfaceEndpoints: false });
    expect(parseSettings({ interfaceEndpoints: false }).interfaceEndpoints).toBe(false);
  });

  it.each([
    [{ natGateways: '0' }, '"natGateways" must be a whole number from 1 to 2'],
    [{ natGateways: '3' }, '"natGateways" must be a whole number from 1 to 2'],
    [{ natGateways: 'one' }, '"natGateways" must be a whole number'],
    [{ interfaceEndpoints: 'yes' }, '"interfaceEndpoints" must be true or false'],
    [{ ...IMPORTED_VPC, natGateways: '1' }, '"natGateways" applies to the VPC the stack creates'],
    [
      { ...IMPORTED_VPC, interfaceEndpoints: 'true' },
      '"interfaceEndpoints" applies to the VPC the stack creates',
    ],
    [{ alarmEmail: 'oncall' }, '"alarmEmail" must look like "oncall@example.com"'],
    [
      { alarmEmail: 'oncall@example.com', alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts' },
      '"alarmEmail" subscribes to the alarm topic the stack creates',
    ],
    [{ imageDigests: 'codex=sha256:abc' }, 'must be sha256: and 64 lower-case hex digits'],
    [{ imageDigests: `nobody=sha256:${'0'.repeat(64)}` }, 'unknown runtime "nobody"'],
    [{ imageDigests: 'codex' }, 'must look like <runtime>=<value>'],
  ] as Array<[RawContext, string]>)('rejects %j, naming the option', (raw, expected) => {
    expect(problemsOf(raw)).toContain(expected);
  });

  it('documents every context option in the deploy guide', () => {
    const guides = ['README.md'].filter((file) => existsSync(file));
    const text = guides.map((file) => readFileSync(file, 'utf8')).join('\n');
    const missing = Object.keys(CONTEXT_OPTIONS).filter((option) => !text.includes(`\`${option}\``));
    expect(missing).toEqual([]);
  });
});
