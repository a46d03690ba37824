import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ENVIRONMENT } from '#adapters/environment.ts';
import { functionDeadLetterQueueName, functionPhysicalName } from '#wiring/dead-letter-queues.ts';
import { FUNCTION_NAMES, FUNCTIONS, type FunctionName } from '#wiring/functions.ts';
import { resourcesOf, synth } from './fixtures.ts';

const { template } = synth();
const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
const functions = resourcesOf(template, 'AWS::Lambda::Function');
const functionId = (name: FunctionName): string => {
  const ids = Object.keys(functions).filter((id) => id.startsWith(`${pascal(name)}Function`));
  if (ids.length !== 1) throw new Error(`expected one function for ${name}; found ${ids.join(', ')}`);
  return ids[0] as string;
};
const propsOf = (name: FunctionName) => functions[functionId(name)]?.Properties as Record<string, unknown>;
const invokeConfigOf = (name: FunctionName) => {
  const configs = Object.values(resourcesOf(template, 'AWS::Lambda::EventInvokeConfig')).filter(
    (config) => (config.Properties.FunctionName as { Ref: string }).Ref === functionId(name),
  );
  expect(configs).toHaveLength(1);
  return configs[0]?.Properties as Record<string, unknown>;
};

describe('handler functions', () => {
  it('has one function per handler', () => {
    expect(Object.keys(functions)).toHaveLength(FUNCTION_NAMES.length);
  });

  it.each(FUNCTION_NAMES)('runs %s on Node 24 and arm64 with active tracing and JSON logs', (name) => {
    const spec = FUNCTIONS[name];
    expect(propsOf(name)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Timeout: spec.timeoutSeconds,
      MemorySize: spec.memoryMb,
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: expect.stringMatching(new RegExp(`^${pascal(name)}Logs`)) },
      },
    });
  });

  it.each(FUNCTION_NAMES)('gives %s a log group with retention', (name) => {
    const logGroupRef = (propsOf(name).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(resourcesOf(template, 'AWS::Logs::LogGroup')[logGroupRef]?.Properties).toMatchObject({
      RetentionInDays: 30,
    });
  });

  it.each(FUNCTION_NAMES)(
    'sets every variable the %s handler requires, and none it does not read',
    (name) => {
      const variables = (propsOf(name).Environment as { Variables: Record<string, unknown> }).Variables;
      const { required, optional } = FUNCTION_ENVIRONMENT[name];
      const setByConstruct = [
        'NODE_OPTIONS',
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
      ];
      for (const variable of [...required, ...setByConstruct])
        expect(Object.keys(variables)).toContain(variable);
      for (const variable of Object.keys(variables)) {
        expect([...required, ...optional, ...setByConstruct]).toContain(variable);
      }
    },
  );

  it('sets the values the handlers expect', () => {
    const variables = (propsOf('provision').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({
      EVENT_BUS_NAME: { Ref: expect.stringMatching(/^EventBus/) },
      PROVISIONER_SOURCE: 'platform.provisioner',
      CLUSTER_ARN: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterC/), 'Arn'] },
      ASSIGN_PUBLIC_IP: 'DISABLED',
      IMAGE_REGISTRY: 'ghcr.io/molecule-ai',
      IMAGE_TAG: 'latest',
      TIER_SIZING: '1=256/512,2=512/1024,3=1024/2048,4=2048/4096',
      IDEMPOTENCY_TABLE_NAME: { Ref: expect.stringMatching(/^IdempotencyTable/) },
      POWERTOOLS_SERVICE_NAME: 'provision',
      POWERTOOLS_METRICS_NAMESPACE: 'WorkspaceProvisioner',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
    for (const name of FUNCTION_NAMES) {
      expect((propsOf(name).Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: name,
      });
    }
  });

  it('passes the private subnets and the task security group to the handlers', () => {
    const variables = (propsOf('provision').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.SUBNET_IDS).toEqual({
      'Fn::Join': [
        '',
        [
          { Ref: expect.stringMatching(/privateSubnet1/) },
          ',',
          { Ref: expect.stringMatching(/privateSubnet2/) },
        ],
      ],
    });
    expect(variables.SECURITY_GROUP_IDS).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^NetworkTaskSecurityGroup/), 'GroupId'],
    });
  });

  it('passes imported subnets, security groups, bus ARN and overrides as given', () => {
    const { template: imported } = synth({
      existingEventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/platform',
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: 'eu-west-1a,eu-west-1b',
      privateSubnetIds: 'subnet-0aaa1111,subnet-0bbb2222',
      securityGroupIds: 'sg-0123456789abcdef0,sg-0fedcba9876543210',
      imageTag: 'v7',
      tierSizing: '4=4096/8192',
    });
    imported.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          EVENT_BUS_NAME: 'arn:aws:events:eu-west-1:123456789012:event-bus/platform',
          SUBNET_IDS: 'subnet-0aaa1111,subnet-0bbb2222',
          SECURITY_GROUP_IDS: 'sg-0123456789abcdef0,sg-0fedcba9876543210',
          IMAGE_TAG: 'v7',
          TIER_SIZING: '1=256/512,2=512/1024,3=1024/2048,4=4096/8192',
        }),
      },
    });
  });

  it.each(FUNCTION_NAMES)('configures async invocation of %s from the flows table', (name) => {
    const spec = FUNCTIONS[name];
    expect(invokeConfigOf(name)).toMatchObject({
      Qualifier: '$LATEST',
      MaximumRetryAttempts: spec.asyncRetryAttempts,
      MaximumEventAgeInSeconds: spec.asyncMaxEventAgeSeconds,
    });
  });

  it('routes provision events whose retries are spent to the failure reporter', () => {
    expect(invokeConfigOf('provision').DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [functionId('failure-reporter'), 'Arn'] } },
    });
    for (const name of FUNCTION_NAMES.filter((candidate) => !FUNCTIONS[candidate].onFailure)) {
      expect(invokeConfigOf(name).DestinationConfig).toBeUndefined();
    }
  });

  it.each(FUNCTION_NAMES)(
    'keeps the original event of %s in an SQS dead-letter queue when the table asks',
    (name) => {
      const deadLetter = propsOf(name).DeadLetterConfig;
      if (FUNCTIONS[name].deadLetterQueue) {
        expect(deadLetter).toEqual({
          TargetArn: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${pascal(name)}AsyncDlq`)), 'Arn'] },
        });
      } else {
        expect(deadLetter).toBeUndefined();
      }
    },
  );

  it.each(FUNCTION_NAMES)('names the %s function <stack id>-<function>, so tools can invoke it', (name) => {
    expect(propsOf(name).FunctionName).toBe(functionPhysicalName(name));
    expect(propsOf(name).FunctionName).toBe(`WorkspaceProvisioner-${name}`);
  });

  it.each(FUNCTION_NAMES.filter((name) => FUNCTIONS[name].deadLetterQueue))(
    'names the dead-letter queue of %s <stack id>-<function>-dlq',
    (name) => {
      const queues = resourcesOf(template, 'AWS::SQS::Queue');
      const queueId = Object.keys(queues).find((id) => id.startsWith(`${pascal(name)}AsyncDlq`));
      expect(queueId).toBeDefined();
      expect(queues[queueId as string]?.Properties.QueueName).toBe(functionDeadLetterQueueName(name));
      expect(queues[queueId as string]?.Properties.QueueName).toBe(`WorkspaceProvisioner-${name}-dlq`);
    },
  );

  it('reserves 10 concurrent executions for provision by default, and none for the others', () => {
    expect(propsOf('provision').ReservedConcurrentExecutions).toBe(10);
    for (const name of FUNCTION_NAMES.filter((candidate) => candidate !== 'provision')) {
      expect(propsOf(name).ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('sizes the provision reservation from context, or leaves it out', () => {
    synth({ provisionReservedConcurrency: '4' }).template.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.provision.description,
      ReservedConcurrentExecutions: 4,
    });
    synth({ provisionReservedConcurrency: 'none' }).template.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.provision.description,
      ReservedConcurrentExecutions: Match.absent(),
    });
  });
});
