import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EBS_ATTACHMENT_TYPE } from '#contracts/names.ts';
import type { RawContext } from '#infra/settings.ts';
import { DEAD_LETTER_QUEUES, targetDeadLetterQueueName } from '#wiring/dead-letter-queues.ts';
import { DEFAULT_TARGET_RETRY, flowsFor, TIMEOUT_SWEEP_SCHEDULE } from '#wiring/flows.ts';
import { FUNCTION_NAMES, FUNCTIONS } from '#wiring/functions.ts';
import { ecsArn, resourcesOf, synth } from './fixtures.ts';

const { stack, template } = synth();
const pascalName = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
const rules = resourcesOf(template, 'AWS::Events::Rule');
const flowRuleId = (flowId: string): string => {
  const ids = Object.keys(rules).filter((id) => id.startsWith(`Rules${flowId}`));
  if (ids.length !== 1) throw new Error(`expected one rule for ${flowId}; found ${ids.join(', ')}`);
  return ids[0] as string;
};
const ruleProps = (flowId: string) => rules[flowRuleId(flowId)]?.Properties as Record<string, unknown>;
const flows = flowsFor({
  requestSources: ['platform.workspace-server'],
  provisionerSource: 'platform.provisioner',
  clusterArn: stack.workspaceCluster.clusterArn,
  taskDefinitionArnPrefixes: stack.taskDefinitions.taskDefinitionArnPrefixes,
});

describe('event bus', () => {
  it('creates the workspaces bus whose only default policy statement reserves the provisioner source', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'workspaces' });
    template.resourceCountIs('AWS::Events::EventBusPolicy', 1);
    // Grants nobody anything by default: the one statement is a deny.
    for (const policy of Object.values(resourcesOf(template, 'AWS::Events::EventBusPolicy'))) {
      expect((policy.Properties.Statement as { Effect: string }).Effect).toBe('Deny');
    }
  });

  it('denies PutEvents with the provisioner source to every principal but the function roles', () => {
    // `events:source` is the entry's Source (EventBridge condition keys,
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html); `aws:PrincipalArn`
    // is the role ARN for a role session, with ArnNotEquals excepting exactly those ARNs (IAM global
    // condition keys, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
    const roleArns = FUNCTION_NAMES.map((name) => ({
      'Fn::GetAtt': [Match.stringLikeRegexp(`^${pascalName(name)}Role`), 'Arn'],
    }));
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: { Ref: Match.stringLikeRegexp('^EventBus') },
      Statement: {
        Sid: Match.stringLikeRegexp('OnlyProvisionerFunctionsUseProvisionerSource$'),
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventBus'), 'Arn'] },
        Condition: {
          StringEquals: { 'events:source': 'platform.provisioner' },
          ArnNotEquals: { 'aws:PrincipalArn': roleArns },
        },
      },
    });
  });

  it('reserves a custom provisioner source', () => {
    synth({ provisionerSource: 'acme.provisioner' }).template.hasResourceProperties(
      'AWS::Events::EventBusPolicy',
      {
        Statement: Match.objectLike({
          Effect: 'Deny',
          Condition: Match.objectLike({ StringEquals: { 'events:source': 'acme.provisioner' } }),
        }),
      },
    );
  });

  it.each([
    ['by ARN', { existingEventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/platform-events' }],
    ['by name', { existingEventBusName: 'platform-events' }],
  ] as Array<[string, RawContext]>)(
    'prints the statement to add for a bus imported %s, and outputs the function roles',
    (_, context) => {
      const { stack, template: imported } = synth(context);
      imported.resourceCountIs('AWS::Events::EventBusPolicy', 0);
      const warnings = Annotations.fromStack(stack).findWarning(
        '*',
        Match.stringLikeRegexp('does not reserve the source "platform.provisioner"'),
      );
      expect(warnings).toHaveLength(1);
      const text = String(warnings[0]?.entry.data);
      const statement = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as Record<
        string,
        unknown
      >;
      expect(statement).toMatchObject({
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: expect.stringMatching(/^arn:aws:events:.*:event-bus\/platform-events$/),
        Condition: {
          StringEquals: { 'events:source': 'platform.provisioner' },
          ArnNotEquals: { 'aws:PrincipalArn': [expect.stringContaining('FunctionRoleArns')] },
        },
      });
      expect(imported.findOutputs('FunctionRoleArns')).not.toEqual({});
    },
  );

  it('lets only the publisher accounts put events, and only with a request source', () => {
    const { template: withPublishers } = synth({ publisherAccountIds: '111122223333,444455556666' });
    withPublishers.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: {
          AWS: [
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] },
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::444455556666:root']] },
          ],
        },
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventBus'), 'Arn'] },
        Condition: { StringEquals: { 'events:source': ['platform.workspace-server'] } },
      },
    });
  });

  it('lets only the publisher organization put events, and only with a request source', () => {
    const { template: withOrg } = synth({ publisherOrgId: 'o-a1b2c3d4e5' });
    withOrg.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Condition: {
          StringEquals: {
            'aws:PrincipalOrgID': 'o-a1b2c3d4e5',
            'events:source': ['platform.workspace-server'],
          },
        },
      },
    });
  });
});

describe('flow rules', () => {
  it('has one rule per flow and one for the sweep schedule', () => {
    expect(Object.keys(rules)).toHaveLength(flows.length + 1);
    for (const flow of flows) expect(ruleProps(flow.id)).toBeDefined();
  });

  it('puts each flow pattern into its rule verbatim', () => {
    for (const flow of flows) {
      expect(ruleProps(flow.id).EventPattern).toEqual(stack.resolve(flow.pattern));
    }
  });

  it('accepts requests only from the source allowlist', () => {
    const { template: custom } = synth({ requestSources: 'team-a.portal,team-b.portal' });
    for (const detailType of ['Workspace Provision Requested', 'Workspace Deprovision Requested']) {
      custom.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['team-a.portal', 'team-b.portal'], 'detail-type': [detailType] },
      });
    }
  });

  it('listens for our requests and events on the workspaces bus', () => {
    for (const flowId of ['ProvisionRequested', 'TaskLaunched', 'DeprovisionRequested']) {
      expect(ruleProps(flowId).EventBusName).toEqual({ Ref: expect.stringMatching(/^EventBus/) });
    }
  });

  it('matches aws.ecs task state changes of our cluster and our workspace families only, on the default bus', () => {
    const props = ruleProps('EcsTaskStateChange');
    expect(props.EventBusName).toBeUndefined();
    const prefixes = ['claude-code', 'codex', 'hermes', 'openclaw'].map((runtime) => ({
      prefix: ecsArn(`:task-definition/workspace-${runtime}:`),
    }));
    expect(props.EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        clusterArn: [{ 'Fn::GetAtt': [expect.stringMatching(/^ClusterC/), 'Arn'] }],
        taskDefinitionArn: prefixes,
      },
    });
  });

  it('matches stopped tasks of our cluster and families that carry an EBS volume, on the default bus (v1.3)', () => {
    const props = ruleProps('DataTaskStopped');
    expect(props.EventBusName).toBeUndefined();
    const prefixes = ['claude-code', 'codex', 'hermes', 'openclaw'].map((runtime) => ({
      prefix: ecsArn(`:task-definition/workspace-${runtime}:`),
    }));
    // ECS task state change events carry the task's attachments; an EBS volume's has type
    // AmazonElasticBlockStorage (the task's attachments in the AWS CLI's `aws ecs run-task` example
    // "To run a task with an Amazon EBS volume",
    // https://docs.aws.amazon.com/cli/latest/reference/ecs/run-task.html).
    expect(props.EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        clusterArn: [{ 'Fn::GetAtt': [expect.stringMatching(/^ClusterC/), 'Arn'] }],
        taskDefinitionArn: prefixes,
        lastStatus: ['STOPPED'],
        attachments: { type: ['AmazonElasticBlockStorage'] },
      },
    });
    expect(EBS_ATTACHMENT_TYPE).toBe('AmazonElasticBlockStorage');
  });

  it('matches EBS createSnapshot notifications, on the default bus (v1.3)', () => {
    const props = ruleProps('DataSnapshotNotification');
    expect(props.EventBusName).toBeUndefined();
    // EBS puts "EBS Snapshot Notification" from aws.ec2 on the default bus, with detail.event
    // createSnapshot and detail.result succeeded or failed: "Amazon EventBridge events for Amazon
    // EBS", https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html
    expect(props.EventPattern).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['EBS Snapshot Notification'],
      detail: { event: ['createSnapshot'] },
    });
  });

  it('runs the timeout sweep every minute', () => {
    expect(ruleProps('TimeoutSweepSchedule').ScheduleExpression).toBe('rate(1 minute)');
  });

  it.each([
    ['ProvisionRequested', 'provision', DEFAULT_TARGET_RETRY],
    ['TaskLaunched', 'overlay', DEFAULT_TARGET_RETRY],
    ['EcsTaskStateChange', 'task-state', DEFAULT_TARGET_RETRY],
    ['DeprovisionRequested', 'deprovision', DEFAULT_TARGET_RETRY],
    ['TimeoutSweepSchedule', 'timeout-sweep', TIMEOUT_SWEEP_SCHEDULE.retryPolicy],
    // v1.3: both data flows go to the lifecycle function.
    ['DataTaskStopped', 'lifecycle', DEFAULT_TARGET_RETRY],
    ['DataSnapshotNotification', 'lifecycle', DEFAULT_TARGET_RETRY],
  ] as const)(
    'gives the %s target (%s) its retry policy and its own dead-letter queue',
    (flowId, target, retry) => {
      const targets = ruleProps(flowId).Targets as Array<Record<string, unknown>>;
      expect(targets).toHaveLength(1);
      const functionId = `${target.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase())}Function`;
      expect(targets[0]).toEqual({
        Id: 'Target0',
        Arn: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${functionId}`)), 'Arn'] },
        RetryPolicy: {
          MaximumRetryAttempts: retry.maximumRetryAttempts,
          MaximumEventAgeInSeconds: retry.maximumEventAgeSeconds,
        },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^Rules${flowId}TargetDlq`)), 'Arn'] },
        },
      });
      expect(FUNCTIONS[target]).toBeDefined();
    },
  );

  it.each([...flows.map((flow) => flow.id), TIMEOUT_SWEEP_SCHEDULE.id])(
    'names the target dead-letter queue of %s <stack id>-<flow>-target-dlq',
    (flowId) => {
      const queues = resourcesOf(template, 'AWS::SQS::Queue');
      const queueId = Object.keys(queues).find((id) => id.startsWith(`Rules${flowId}TargetDlq`));
      expect(queueId).toBeDefined();
      expect(queues[queueId as string]?.Properties.QueueName).toBe(targetDeadLetterQueueName(flowId));
      expect(queues[queueId as string]?.Properties.QueueName).toBe(
        `WorkspaceProvisioner-${flowId}-target-dlq`,
      );
    },
  );

  it('gives every queue a name from the dead-letter table, and the table no name without a queue', () => {
    const names = Object.values(resourcesOf(template, 'AWS::SQS::Queue')).map(
      (queue) => queue.Properties.QueueName,
    );
    expect(names.sort()).toEqual(DEAD_LETTER_QUEUES.map((queue) => queue.queueName).sort());
  });

  it('encrypts every dead-letter queue with SSE-SQS, which EventBridge can write to, and keeps messages 14 days', () => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(DEAD_LETTER_QUEUES.length);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      expect(queue.Properties.KmsMasterKeyId).toBeUndefined();
    }
  });

  it('refuses non-TLS access to every dead-letter queue', () => {
    const policies = resourcesOf(template, 'AWS::SQS::QueuePolicy');
    expect(Object.keys(policies)).toHaveLength(DEAD_LETTER_QUEUES.length);
    for (const policy of Object.values(policies)) {
      expect((policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('lets each rule, and only that rule, write to its target dead-letter queue', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^RulesProvisionRequestedTargetDlq') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [flowRuleId('ProvisionRequested'), 'Arn'] } },
            },
          }),
        ]),
      },
    });
  });
});
