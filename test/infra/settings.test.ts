import { existsSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#config/errors.ts';
import { CONTEXT_OPTIONS, parseSettings, type RawContext, settingsFromContext } from '#infra/settings.ts';
import { DEFAULT_PROVISION_RESERVED_CONCURRENCY } from '#wiring/names.ts';

const problemsOf = (raw: RawContext): string => {
  try {
    parseSettings(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected parseSettings to throw');
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

  it('refuses an option spelled with the wrong case instead of ignoring it', () => {
    const app = new App({ context: { vpcID: 'vpc-0123456789abcdef0' } });
    expect(() => settingsFromContext(app.node)).toThrow(
      'context option "vpcID" is unknown; did you mean "vpcId"?',
    );
  });

  it('documents every context option in the deploy guide', () => {
    const guides = ['README.md'].filter((file) => existsSync(file));
    const text = guides.map((file) => readFileSync(file, 'utf8')).join('\n');
    const missing = Object.keys(CONTEXT_OPTIONS).filter((option) => !text.includes(`\`${option}\``));
    expect(missing).toEqual([]);
  });
});
