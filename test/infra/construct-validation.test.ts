import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { WorkspaceEventBus } from '#infra/constructs/event-bus.ts';
import { FlowRules } from '#infra/constructs/flow-rules.ts';
import { HandlerFunction } from '#infra/constructs/handler-function.ts';
import { Operations } from '#infra/constructs/operations.ts';
import { WorkspaceNetwork } from '#infra/constructs/workspace-network.ts';
import { FUNCTIONS } from '#wiring/functions.ts';

const root = path.resolve(import.meta.dirname, '../..');
const stackFor = () =>
  new Stack(
    new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }),
    'Test',
  );
const synthErrors = (stack: Stack): string => {
  try {
    (stack.node.root as App).synth();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected synthesis to fail');
};

describe('construct validation at synth', () => {
  it('refuses a reserved concurrency of 0, which would stop every invocation', () => {
    const stack = stackFor();
    new HandlerFunction(stack, 'Overlay', {
      spec: FUNCTIONS.overlay,
      projectRoot: root,
      environment: {},
      reservedConcurrency: 0,
    });
    expect(synthErrors(stack)).toContain('overlay: reservedConcurrency must be at least 1');
  });

  it('refuses a function whose spec routes failures somewhere without that destination', () => {
    const stack = stackFor();
    new HandlerFunction(stack, 'Provision', {
      spec: FUNCTIONS.provision,
      projectRoot: root,
      environment: {},
    });
    expect(synthErrors(stack)).toContain(
      'provision: the spec routes failures to failure-reporter; pass onFailure',
    );
  });

  it('refuses existing security groups without an imported VPC', () => {
    const stack = stackFor();
    new WorkspaceNetwork(stack, 'Network', { securityGroupIds: ['sg-0123456789abcdef0'] });
    expect(synthErrors(stack)).toContain('securityGroupIds need importedVpc');
  });

  it.each([0, 3, 1.5])('refuses %s NAT gateways for a two-zone VPC', (natGateways) => {
    const stack = stackFor();
    new WorkspaceNetwork(stack, 'Network', { zones: 2, natGateways });
    expect(synthErrors(stack)).toContain('natGateways must be a whole number from 1 to 2');
  });

  it('refuses NAT and endpoint options for an imported VPC', () => {
    const stack = stackFor();
    new WorkspaceNetwork(stack, 'Network', {
      importedVpc: {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['eu-west-1a'],
        privateSubnetIds: ['subnet-0aaa1111'],
      },
      interfaceEndpoints: true,
    });
    expect(synthErrors(stack)).toContain('natGateways and interfaceEndpoints apply to a created VPC');
  });

  it('refuses an alarm email together with an existing alarm topic', () => {
    const stack = stackFor();
    new Operations(stack, 'Operations', {
      rules: [],
      functions: [],
      deadLetterQueues: [],
      clusterName: 'workspaces',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
      alarmEmail: 'oncall@example.com',
    });
    expect(synthErrors(stack)).toContain('alarmEmail subscribes to the topic this construct creates');
  });

  it('refuses publishers on an imported bus', () => {
    const stack = stackFor();
    new WorkspaceEventBus(stack, 'Bus', {
      settings: { mode: 'import-by-name', name: 'platform' },
      publisherAccountIds: ['111122223333'],
      publisherSources: ['platform.workspace-server'],
    });
    expect(synthErrors(stack)).toContain("manage an imported bus's policy where it is owned");
  });

  it('refuses a flow of AWS service events that is not on the default bus', () => {
    const stack = stackFor();
    const bus = new EventBus(stack, 'Bus');
    new FlowRules(stack, 'Rules', {
      flows: [
        {
          id: 'EcsOnCustomBus',
          description: 'AWS never delivers these to a custom bus',
          eventBus: 'provisioner',
          pattern: { source: ['aws.ecs'] },
          target: 'task-state',
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeSeconds: 60 },
        },
      ],
      eventBus: bus,
      functions: {
        'task-state': new LambdaFunction(stack, 'Fn', {
          runtime: Runtime.NODEJS_24_X,
          handler: 'index.handler',
          code: Code.fromInline('export const handler = async () => ({});'),
        }),
      },
    });
    expect(synthErrors(stack)).toContain("set eventBus: 'default'");
  });

  it('refuses a flow whose target has no function', () => {
    const stack = stackFor();
    new FlowRules(stack, 'Rules', {
      flows: [
        {
          id: 'Orphan',
          description: 'nothing handles this',
          eventBus: 'provisioner',
          pattern: { source: ['a.b'] },
          target: 'overlay',
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeSeconds: 60 },
        },
      ],
      eventBus: new EventBus(stack, 'Bus'),
      functions: {},
    });
    expect(synthErrors(stack)).toContain('flow "Orphan" targets "overlay", which has no function');
  });
});
