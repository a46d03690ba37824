import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import type { FunctionName } from '#wiring/functions.ts';
import { actionsOfRole, ecsArn, resourcesOf, statementsOfRole, synth } from './fixtures.ts';

const { template } = synth();
const runtimes = Object.keys(loadCatalog().runtimes);
const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
const roleOf = (name: FunctionName) => `${pascal(name)}Role`;
const statementWith = (name: FunctionName, action: string) => {
  const matches = statementsOfRole(template, roleOf(name)).filter((statement) =>
    ([] as unknown[]).concat(statement.Action).includes(action),
  );
  expect(matches).toHaveLength(1);
  return matches[0] as Record<string, unknown>;
};
const clusterTasks = ecsArn(':task/', { Ref: expect.stringMatching(/^ClusterC/) }, '/*');
const onOurCluster = {
  ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [expect.stringMatching(/^ClusterC/), 'Arn'] } },
};
const logsAndTracing = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];
const records = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
// v1.3: a launch passes the ECS infrastructure role (its own statement) and lists the workspace's
// volumes and snapshots; the save and the erase also snapshot and delete (data-volumes.test.ts
// asserts their scope).
const dataLaunch = ['ec2:DescribeSnapshots', 'ec2:DescribeVolumes', 'iam:PassRole'];
const dataSaveAndErase = [
  'ec2:CreateSnapshot',
  'ec2:CreateSnapshot',
  'ec2:CreateTags',
  'ec2:DeleteSnapshot',
  'ec2:DeleteVolume',
  'ec2:DescribeSnapshots',
  'ec2:DescribeVolumes',
];

describe('least-privilege IAM', () => {
  it.each([
    [
      'provision',
      [
        ...records,
        'ecs:DescribeTasks',
        'ecs:ListTasks',
        'ecs:RunTask',
        'ecs:TagResource',
        'events:PutEvents',
        'iam:PassRole',
        // The boot bundle (PutObject under boot/, encrypted with the bucket's key) and the secrets
        // existence check (ListBucket under orgs/); workspace-files.test.ts asserts their scope.
        'kms:GenerateDataKey',
        'lambda:InvokeFunction',
        's3:ListBucket',
        's3:PutObject',
        'sqs:SendMessage',
        ...dataLaunch,
      ],
    ],
    // DescribeTasks to check a launched event against ECS; InvokeFunction for its on-failure destination.
    [
      'overlay',
      [...records, 'ecs:DescribeTasks', 'events:PutEvents', 'lambda:InvokeFunction', 'sqs:SendMessage'],
    ],
    ['task-state', [...records, 'events:PutEvents', 'sqs:SendMessage']],
    [
      'deprovision',
      [
        ...records,
        'ecs:DescribeTasks',
        'ecs:ListTasks',
        'ecs:StopTask',
        'events:PutEvents',
        'lambda:InvokeFunction',
        'sqs:SendMessage',
        ...dataSaveAndErase,
      ],
    ],
    // v1.1: it also reads and fails recorded requests whose template assets never came (BatchGetItem
    // over the minutes of their deadlines).
    [
      'timeout-sweep',
      [
        ...records,
        'dynamodb:BatchGetItem',
        // v1.2: the reconciliation lists the live workspaces through their index (Query on it only).
        'dynamodb:Query',
        'ecs:DescribeTasks',
        'ecs:ListTasks',
        'ecs:StopTask',
        'events:PutEvents',
        // v1.3: it resumes data saves whose events were lost (tag-scoped, data-volumes.test.ts).
        ...dataSaveAndErase,
      ],
    ],
    // v1.2: restart, recovery and retirement stop the old task and launch as provision does, and
    // write the boot bundle again (GetObject and PutObject under boot/ only; workspace-files.test.ts).
    [
      'lifecycle',
      [
        ...records,
        'ecs:DescribeTasks',
        'ecs:ListTasks',
        'ecs:RunTask',
        'ecs:StopTask',
        'ecs:TagResource',
        'events:PutEvents',
        'iam:PassRole',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        's3:GetObject',
        's3:PutObject',
        'sqs:SendMessage',
        ...dataLaunch,
        'ec2:CreateSnapshot',
        'ec2:CreateSnapshot',
        'ec2:CreateTags',
        'ec2:DeleteSnapshot',
        'ec2:DeleteVolume',
      ],
    ],
    // v1.1: launches a templated request once its assets are staged: provision's grants, plus reading
    // the staged files (GetObject and Decrypt under staged/ only; workspace-files.test.ts).
    [
      'assets-staged',
      [
        ...records,
        'ecs:DescribeTasks',
        'ecs:ListTasks',
        'ecs:RunTask',
        'ecs:TagResource',
        'events:PutEvents',
        'iam:PassRole',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'lambda:InvokeFunction',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'sqs:SendMessage',
        ...dataLaunch,
      ],
    ],
    [
      'failure-reporter',
      ['ecs:DescribeTasks', 'ecs:ListTasks', 'ecs:StopTask', 'events:PutEvents', 'sqs:SendMessage'],
    ],
  ] as Array<[FunctionName, string[]]>)('lets %s do exactly what it needs', (name, actions) => {
    expect(actionsOfRole(template, roleOf(name))).toEqual([...logsAndTracing, ...actions].sort());
  });

  it('attaches no managed policies to any role but the ECS infrastructure role', () => {
    const roles = Object.entries(resourcesOf(template, 'AWS::IAM::Role'));
    for (const [id, role] of roles.filter(([id]) => !id.startsWith('DataVolumesInfrastructureRole'))) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
    // v1.3: the policy ECS documents for it (data-volumes.test.ts), and nothing else.
    const infrastructure = roles.filter(([id]) => id.startsWith('DataVolumesInfrastructureRole'));
    expect(infrastructure).toHaveLength(1);
    expect(infrastructure[0]?.[1].Properties.ManagedPolicyArns).toHaveLength(1);
  });

  it('allows ecs:RunTask only on the exact revisions this deployment registers, only in our cluster', () => {
    const taskDefinitionIds = Object.entries(resourcesOf(template, 'AWS::ECS::TaskDefinition'))
      .filter(([, definition]) =>
        runtimes.some((runtime) => definition.Properties.Family === `workspace-${runtime}`),
      )
      .map(([id]) => id);
    expect(taskDefinitionIds).toHaveLength(runtimes.length);
    const statement = statementWith('provision', 'ecs:RunTask');
    expect(statement).toEqual({
      Effect: 'Allow',
      Action: 'ecs:RunTask',
      // Ref of an AWS::ECS::TaskDefinition is its revision ARN: `…:task-definition/<family>:<revision>`.
      Resource: expect.arrayContaining(taskDefinitionIds.map((id) => ({ Ref: id }))),
      Condition: onOurCluster,
    });
    expect(statement.Resource).toHaveLength(runtimes.length);
    expect(JSON.stringify(statement)).not.toContain('*');
  });

  it('passes the provision function the revision ARN of each runtime', () => {
    const provision = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find(
      (fn) =>
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables
          .POWERTOOLS_SERVICE_NAME === 'provision',
    );
    if (!provision) throw new Error('no provision function in the template');
    const variables = (provision.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const [separator, parts] = (variables.TASK_DEFINITION_ARNS as { 'Fn::Join': [string, unknown[]] })[
      'Fn::Join'
    ];
    expect(separator).toBe('');
    const text = parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
    for (const runtime of runtimes) {
      expect(text).toMatch(
        new RegExp(`(^|,)${runtime}=\\{"Ref":"TaskDefinitionsTaskDefinition${runtime.replaceAll('-', '')}`),
      );
    }
  });

  it('allows iam:PassRole only on the task and execution roles, only to ECS tasks', () => {
    // v1.3: the other PassRole statement passes the ECS infrastructure role (data-volumes.test.ts).
    const toTasks = statementsOfRole(template, roleOf('provision')).filter(
      (statement) =>
        statement.Action === 'iam:PassRole' &&
        JSON.stringify(statement.Condition).includes('ecs-tasks.amazonaws.com'),
    );
    expect(toTasks).toHaveLength(1);
    expect(toTasks[0]).toEqual({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: expect.arrayContaining([
        { 'Fn::GetAtt': [expect.stringMatching(/^TaskDefinitionsTaskRole/), 'Arn'] },
        { 'Fn::GetAtt': [expect.stringMatching(/^TaskDefinitionsExecutionRole/), 'Arn'] },
      ]),
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
    expect(toTasks[0]?.Resource).toHaveLength(2);
  });

  it('allows tagging only tasks of our cluster, and only as part of RunTask', () => {
    expect(statementWith('provision', 'ecs:TagResource')).toEqual({
      Effect: 'Allow',
      Action: 'ecs:TagResource',
      Resource: clusterTasks,
      Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    });
  });

  it.each(['provision', 'deprovision', 'timeout-sweep', 'failure-reporter', 'lifecycle'] as FunctionName[])(
    'scopes ListTasks and DescribeTasks of %s to our cluster',
    (name) => {
      expect(statementWith(name, 'ecs:ListTasks')).toEqual({
        Effect: 'Allow',
        Action: 'ecs:ListTasks',
        Resource: '*',
        Condition: onOurCluster,
      });
      expect(statementWith(name, 'ecs:DescribeTasks')).toMatchObject({
        Resource: clusterTasks,
        Condition: onOurCluster,
      });
    },
  );

  it('scopes DescribeTasks of overlay to our cluster, and gives it no ListTasks', () => {
    expect(statementWith('overlay', 'ecs:DescribeTasks')).toMatchObject({
      Resource: clusterTasks,
      Condition: onOurCluster,
    });
    expect(actionsOfRole(template, roleOf('overlay'))).not.toContain('ecs:ListTasks');
  });

  it.each(['deprovision', 'timeout-sweep', 'failure-reporter', 'lifecycle'] as FunctionName[])(
    'scopes StopTask of %s to our cluster',
    (name) => {
      expect(statementWith(name, 'ecs:StopTask')).toMatchObject({
        Resource: clusterTasks,
        Condition: onOurCluster,
      });
    },
  );

  it.each([
    'provision',
    'overlay',
    'task-state',
    'deprovision',
    'timeout-sweep',
    'failure-reporter',
  ] as FunctionName[])(
    'allows %s to put events on the workspaces bus only, and only with the provisioner source',
    (name) => {
      expect(statementWith(name, 'events:PutEvents')).toEqual({
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EventBus/), 'Arn'] },
        // Only as the provisioner: a function can never put an event with an upstream source.
        Condition: { StringEquals: { 'events:source': 'platform.provisioner' } },
      });
    },
  );

  it('gives the idempotency table item access, on the table only', () => {
    const statement = statementWith('provision', 'dynamodb:GetItem');
    expect({ ...statement, Action: [...(statement.Action as string[])].sort() }).toEqual({
      Effect: 'Allow',
      Action: records,
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^IdempotencyTable/), 'Arn'] },
    });
  });

  it('uses a "*" resource only for X-Ray, ListTasks, ECR login and EC2 describes, which AWS requires', () => {
    const { template: ecr } = synth({ imageRegistry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws' });
    const wildcardActions = new Set<string>();
    for (const policy of Object.values(resourcesOf(ecr, 'AWS::IAM::Policy'))) {
      const document = policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> };
      for (const statement of document.Statement) {
        if (([] as unknown[]).concat(statement.Resource).includes('*')) {
          for (const action of ([] as string[]).concat(statement.Action as string[]))
            wildcardActions.add(action);
        }
      }
    }
    expect([...wildcardActions].sort()).toEqual([
      // v1.3: DescribeVolumes and DescribeSnapshots support no resource-level permissions.
      'ec2:DescribeSnapshots',
      'ec2:DescribeVolumes',
      'ecr:GetAuthorizationToken',
      'ecs:ListTasks',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });
});
