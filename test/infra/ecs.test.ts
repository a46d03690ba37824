import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { imageFor, loadCatalog } from '#config/catalog.ts';
import { KINDS } from '#contracts/names.ts';
import { MOVING_TAGS } from '#infra/constructs/workspace-task-definitions.ts';
import { CREATED_VPC_ZONES } from '#infra/settings.ts';
import { ecsArn, IMPORTS, resourcesOf, statementsOfRole, synth } from './fixtures.ts';

const { template } = synth();
const runtimes = Object.keys(loadCatalog().runtimes);
const taskDefinitions = Object.values(resourcesOf(template, 'AWS::ECS::TaskDefinition'));
type ContainerDefinition = Record<string, unknown> & { Image: string; Name: string };
const containersOf = (family: string): ContainerDefinition[] => {
  const match = taskDefinitions.find((definition) => definition.Properties.Family === family);
  if (!match) throw new Error(`no task definition for ${family}`);
  return match.Properties.ContainerDefinitions as ContainerDefinition[];
};
const containerNamed = (family: string, name: string): ContainerDefinition => {
  const container = containersOf(family).find((candidate) => candidate.Name === name);
  if (!container) throw new Error(`no container ${name} in ${family}`);
  return container;
};
const workspaceOf = (family: string) => containerNamed(family, 'workspace');

describe('task definitions', () => {
  it('has exactly one task definition per catalog runtime', () => {
    expect(taskDefinitions.map((definition) => definition.Properties.Family).sort()).toEqual(
      runtimes.map((runtime) => `workspace-${runtime}`).sort(),
    );
  });

  it.each(runtimes)('runs workspace-%s on Fargate with tier-2 size and the two stack roles', (runtime) => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: `workspace-${runtime}`,
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      Cpu: '512',
      Memory: '1024',
      TaskRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TaskDefinitionsTaskRole'), 'Arn'] },
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TaskDefinitionsExecutionRole'), 'Arn'] },
    });
  });

  it.each(runtimes)(
    'runs the plain workspace-template-%s image in a container named workspace, with awslogs',
    (runtime) => {
      const containers = containersOf(`workspace-${runtime}`);
      // The workspace, and the boot step before it (boot-step.test.ts).
      expect(containers.map((container) => container.Name).sort()).toEqual(['boot', 'workspace']);
      expect(workspaceOf(`workspace-${runtime}`)).toMatchObject({
        Name: 'workspace',
        Image: imageFor('ghcr.io/molecule-ai', runtime, 'latest'),
        Essential: true,
        PortMappings: [{ ContainerPort: 8000, Protocol: 'tcp' }],
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: {
            'awslogs-group': { Ref: expect.stringMatching(/^TaskDefinitionsContainerLogs/) },
            'awslogs-stream-prefix': runtime,
            'awslogs-region': { Ref: 'AWS::Region' },
          },
        },
      });
      // Nothing but where the boot step put the files: secrets arrive as env files at RunTask.
      expect(workspaceOf(`workspace-${runtime}`).Environment).toEqual([
        { Name: 'WORKSPACE_CONFIG_PATH', Value: '/configs' },
      ]);
    },
  );

  it('never uses a kind-specific image variant', () => {
    const images = taskDefinitions.flatMap((definition) =>
      (definition.Properties.ContainerDefinitions as ContainerDefinition[])
        .filter((container) => container.Name === 'workspace')
        .map((container) => container.Image),
    );
    expect(images).toHaveLength(runtimes.length);
    expect(images.sort()).toEqual(
      runtimes.map((runtime) => imageFor('ghcr.io/molecule-ai', runtime, 'latest')).sort(),
    );
    for (const image of images) {
      const repository = image
        .replace(/^ghcr\.io\/molecule-ai\/workspace-template-/, '')
        .replace(/:latest$/, '');
      expect(runtimes).toContain(repository);
      for (const kind of KINDS) expect(repository).not.toContain(kind);
    }
  });

  it('gives every workspace container ECS restart policy: in place after 300 s of running, never on exit 0', () => {
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-restart-policy.html
    const definitions = Object.values(resourcesOf(template, 'AWS::ECS::TaskDefinition'));
    expect(definitions.length).toBeGreaterThan(0);
    for (const definition of definitions) {
      const workspace = (definition.Properties.ContainerDefinitions as Array<Record<string, unknown>>).find(
        (container) => container.Name === 'workspace',
      );
      expect(workspace?.RestartPolicy).toEqual({
        Enabled: true,
        IgnoredExitCodes: [0],
        RestartAttemptPeriod: 300,
      });
    }
  });

  it('uses the image registry and tag from context', () => {
    const { template: custom } = synth({ imageRegistry: 'registry.example.com/ws', imageTag: 'v9' });
    custom.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'workspace-codex',
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({ Name: 'workspace', Image: 'registry.example.com/ws/workspace-template-codex:v9' }),
      ]),
    });
  });

  it('pins a runtime image by digest with imageDigests', () => {
    const digest = `sha256:${'3f'.repeat(32)}`;
    const { template: pinned } = synth({ imageDigests: `codex=${digest}` });
    pinned.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'workspace-codex',
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          Name: 'workspace',
          Image: `ghcr.io/molecule-ai/workspace-template-codex@${digest}`,
        }),
      ]),
    });
    pinned.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'workspace-hermes',
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({ Name: 'workspace', Image: imageFor('ghcr.io/molecule-ai', 'hermes', 'latest') }),
      ]),
    });
  });

  const movingTagWarnings = (context: Record<string, string>) =>
    Annotations.fromStack(synth(context).stack)
      .findWarning('*', Match.stringLikeRegexp('a moving tag'))
      .map((warning) => String(warning.entry.data));

  it.each(MOVING_TAGS)('warns at synth for every runtime on the moving tag %s without a digest', (tag) => {
    const warnings = movingTagWarnings({ imageTag: tag });
    expect(warnings).toHaveLength(runtimes.length);
    for (const runtime of runtimes) {
      expect(warnings.some((warning) => warning.includes(`workspace-template-${runtime}:${tag}`))).toBe(true);
    }
  });

  it.each([
    ['a release tag', { imageTag: 'v1.4.2' }, 0],
    ['a digest for one runtime', { imageDigests: `codex=sha256:${'3f'.repeat(32)}` }, runtimes.length - 1],
  ])('does not warn for %s', (_, context, expected) => {
    expect(movingTagWarnings(context)).toHaveLength(expected);
  });

  it.each(runtimes)(
    'runs workspace-%s with an init process and the longest stop timeout Fargate allows',
    (runtime) => {
      // Fargate's maximum stopTimeout is 120 seconds (ContainerDefinition, ECS API reference,
      // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html).
      expect(workspaceOf(`workspace-${runtime}`)).toMatchObject({
        LinuxParameters: { InitProcessEnabled: true },
        StopTimeout: 120,
      });
      // What was left out, and why, is in docs/decisions/014-task-defaults.md.
      expect(workspaceOf(`workspace-${runtime}`)).not.toHaveProperty('User');
      expect(workspaceOf(`workspace-${runtime}`)).not.toHaveProperty('ReadonlyRootFilesystem');
    },
  );

  it("keeps the container logs in the stack's own log group, with the retention option", () => {
    const groups = resourcesOf(synth({ logRetentionDays: '90' }).template, 'AWS::Logs::LogGroup');
    const containerLogs = Object.entries(groups).filter(([id]) =>
      id.startsWith('TaskDefinitionsContainerLogs'),
    );
    expect(containerLogs).toHaveLength(1);
    expect(containerLogs[0]?.[1].Properties.RetentionInDays).toBe(90);
  });

  it('gives the task role no permissions', () => {
    expect(statementsOfRole(template, 'TaskDefinitionsTaskRole')).toEqual([]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
      Description: Match.stringLikeRegexp('^Workspace tasks'),
    });
  });

  it('lets the execution role write the container logs, read the secrets files and boot bundles, and nothing else', () => {
    const bucketArn = { 'Fn::GetAtt': [expect.stringMatching(/^WorkspaceFilesBucket/), 'Arn'] };
    const object = (key: string) => ({ 'Fn::Join': ['', [bucketArn, `/${key}`]] });
    expect(statementsOfRole(template, 'TaskDefinitionsExecutionRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TaskDefinitionsContainerLogs/), 'Arn'] },
      },
      { Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: bucketArn },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [
          object('orgs/*/secrets/org.env'),
          object('orgs/*/workspaces/*/secrets.env'),
          object('orgs/*/secrets/platform.env'),
          object('boot/*'),
        ],
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^WorkspaceFilesKey/), 'Arn'] },
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        },
      },
    ]);
  });

  it('lets the execution role pull only the workspace images when the registry is ECR', () => {
    const { template: ecr } = synth({ imageRegistry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws' });
    const statements = statementsOfRole(ecr, 'TaskDefinitionsExecutionRole');
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: expect.toSatisfy(
        (actions: string[]) =>
          [...actions].sort().join() ===
          'ecr:BatchCheckLayerAvailability,ecr:BatchGetImage,ecr:GetDownloadUrlForLayer',
      ),
      Resource: runtimes.map(
        (runtime) => `arn:aws:ecr:eu-west-1:123456789012:repository/ws/workspace-template-${runtime}`,
      ),
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'ecr:GetAuthorizationToken',
      Resource: '*',
    });
  });
});

describe('cluster and network', () => {
  it('creates the workspaces cluster with Container Insights', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'workspaces',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('creates a VPC across two zones with private subnets behind a NAT gateway in each zone, and flow logs', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', CREATED_VPC_ZONES);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
    // Each private subnet leaves through the NAT gateway of its own zone.
    const natRoutes = Object.values(resourcesOf(template, 'AWS::EC2::Route')).filter(
      (route) => route.Properties.NatGatewayId !== undefined,
    );
    expect(natRoutes).toHaveLength(CREATED_VPC_ZONES);
    expect(new Set(natRoutes.map((route) => JSON.stringify(route.Properties.NatGatewayId))).size).toBe(
      CREATED_VPC_ZONES,
    );
  });

  it('creates one NAT gateway with natGateways=1, for a cheap dev stack', () => {
    synth({ natGateways: '1' }).template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('adds the S3 gateway endpoint to the private route tables, and no interface endpoint by default', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
      RouteTableIds: [
        { Ref: Match.stringLikeRegexp('^NetworkVpcprivateSubnet1RouteTable') },
        { Ref: Match.stringLikeRegexp('^NetworkVpcprivateSubnet2RouteTable') },
      ],
    });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
  });

  it('adds ECR, CloudWatch Logs and Secrets Manager interface endpoints with interfaceEndpoints=true', () => {
    const { template: withEndpoints } = synth({ interfaceEndpoints: 'true' });
    const interfaces = Object.values(resourcesOf(withEndpoints, 'AWS::EC2::VPCEndpoint')).filter(
      (endpoint) => endpoint.Properties.VpcEndpointType === 'Interface',
    );
    const services = interfaces.map((endpoint) => JSON.stringify(endpoint.Properties.ServiceName));
    expect(services.map((service) => service.replace(/^.*"\.?([a-z.]+)"\]\]\}$/, '$1')).sort()).toEqual([
      'ecr.api',
      'ecr.dkr',
      'logs',
      'secretsmanager',
    ]);
    for (const endpoint of interfaces) {
      expect(endpoint.Properties).toMatchObject({
        PrivateDnsEnabled: true,
        SubnetIds: [
          { Ref: expect.stringMatching(/^NetworkVpcprivateSubnet1Subnet/) },
          { Ref: expect.stringMatching(/^NetworkVpcprivateSubnet2Subnet/) },
        ],
      });
    }
    // Only the tasks reach the endpoints, and only over HTTPS.
    withEndpoints.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Interface endpoints'),
      SecurityGroupIngress: [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          SourceSecurityGroupId: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkTaskSecurityGroup'), 'GroupId'],
          },
          Description: Match.anyValue(),
        },
      ],
    });
  });

  it('gives the tasks a security group with egress only', () => {
    const groups = Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroup'));
    expect(groups).toHaveLength(1);
    expect(groups[0]?.Properties).toMatchObject({
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: '-1' }],
    });
    expect(groups[0]?.Properties.SecurityGroupIngress).toBeUndefined();
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('imports the bus, VPC, subnets, security groups and cluster without creating them', () => {
    const { template: imported } = synth(IMPORTS);
    for (const type of [
      'AWS::Events::EventBus',
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::NatGateway',
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::FlowLog',
      'AWS::EC2::VPCEndpoint',
      'AWS::ECS::Cluster',
      'AWS::ECS::ClusterCapacityProviderAssociations',
    ]) {
      imported.resourceCountIs(type, 0);
    }
    imported.resourceCountIs('AWS::ECS::TaskDefinition', runtimes.length);
    imported.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'platform-events',
      EventPattern: Match.objectLike({ 'detail-type': ['Workspace Provision Requested'] }),
    });
    imported.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({
          clusterArn: [ecsArn(':cluster/shared-workspaces')],
        }),
      }),
    });
  });

  it('imports a bus by name', () => {
    const { template: imported } = synth({ existingEventBusName: 'platform-events' });
    imported.resourceCountIs('AWS::Events::EventBus', 0);
    imported.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: 'platform-events' }) },
    });
  });
});
