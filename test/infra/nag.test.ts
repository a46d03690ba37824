import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { RawContext } from '#infra/settings.ts';
import { buildStack, IMPORTS } from './fixtures.ts';

const CONFIGURATIONS: Array<[string, RawContext]> = [
  ['the defaults', {}],
  ['imported bus, VPC and cluster', IMPORTS],
  [
    'an ECR registry, publishers and an alarm topic',
    {
      imageRegistry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws',
      publisherAccountIds: '111122223333',
      publisherOrgId: 'o-a1b2c3d4e5',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
      provisionReservedConcurrency: 'none',
    },
  ],
  [
    'its own alarm topic with an email, one NAT gateway, interface endpoints and pinned images',
    {
      alarmEmail: 'oncall@example.com',
      natGateways: '1',
      interfaceEndpoints: 'true',
      imageDigests: `codex=sha256:${'3f'.repeat(32)}`,
    },
  ],
  [
    'ingress from a security group, a CIDR and a prefix list, and a boot image in ECR',
    {
      workspaceIngress: 'sg-0123456789abcdef0,10.20.0.0/16,pl-0123456789abcdef0',
      bootImage: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/busybox@sha256:${'ab'.repeat(32)}`,
      templateAssetsTimeoutSeconds: '600',
    },
  ],
  [
    'an existing workspace files bucket with its KMS key',
    {
      workspaceFilesBucketName: 'acme-workspace-files',
      workspaceFilesKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
  ],
];

/** Each configuration is built once; the checks below only read the tree. */
const built = new Map<string, ReturnType<typeof buildStack>>();
const appFor = (context: RawContext) => {
  const key = JSON.stringify(context);
  if (!built.has(key)) built.set(key, buildStack(context));
  return (built.get(key) as ReturnType<typeof buildStack>).app;
};

const unacknowledged = (scope: IConstruct) =>
  new AwsSolutionsChecks().validateScope(scope).violations.map((violation) => ({
    rule: violation.ruleName,
    at: violation.violatingResources.map((resource) => resource.constructPath),
  }));

/** Every finding, as if nothing were acknowledged: `rule id @ construct path`. */
const allFindings = (scope: IConstruct): string[] => {
  const pack = new AwsSolutionsChecks();
  // Look past the acknowledgments to see what each one answers.
  Object.assign(pack, { isAcknowledged: () => false });
  return pack
    .validateScope(scope)
    .violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} @ ${resource.constructPath}`),
    );
};

/** Every AwsSolutions acknowledgment in the tree: where, which finding, and why. */
const acknowledgments = (scope: IConstruct) =>
  scope.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
            path: construct.node.path,
            id: id.replace(/^annotation::/i, ''),
            reason,
          })),
        ),
    )
    .filter((ack) => ack.id.startsWith('AwsSolutions-'));

describe('cdk-nag AwsSolutions', () => {
  it.each(CONFIGURATIONS)('reports no unacknowledged finding with %s', (_, context) => {
    expect(unacknowledged(appFor(context))).toEqual([]);
  });

  it('lets synthesis pass with the pack registered through Validations', () => {
    const { app } = buildStack({}, { builtinValidation: true });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it.each(CONFIGURATIONS)(
    'acknowledges only findings that exist, each with a specific reason, with %s',
    (_, context) => {
      const app = appFor(context);
      const findings = allFindings(app);
      const acks = acknowledgments(app);
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        const answered = findings.filter(
          (finding) =>
            finding.startsWith(`${ack.id} @ ${ack.path}/`) || finding === `${ack.id} @ ${ack.path}`,
        );
        expect(answered, `${ack.id} at ${ack.path} answers no finding`).not.toEqual([]);
        expect(ack.reason.length, `reason of ${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(60);
      }
    },
  );

  it('acknowledges wildcard resources only, never wildcard actions, and one managed policy', () => {
    const app = appFor(CONFIGURATIONS[2]?.[1] ?? {});
    const rules = new Set(acknowledgments(app).map((ack) => ack.id.replace(/\[.*$/, '')));
    // ECS2: the task definitions' one variable, WORKSPACE_CONFIG_PATH, a path (decision 018).
    // IAM4 (v1.3): the managed policy ECS documents for its infrastructure role, and only it.
    expect([...rules].sort()).toEqual([
      'AwsSolutions-ECS2',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-SQS3',
    ]);
    const managed = acknowledgments(app).filter((ack) => ack.id.startsWith('AwsSolutions-IAM4'));
    expect(managed.map((ack) => ack.id)).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes]',
    ]);
    expect(managed[0]?.path).toMatch(/\/DataVolumes\/InfrastructureRole$/);
    for (const ack of acknowledgments(app).filter((candidate) =>
      candidate.id.startsWith('AwsSolutions-IAM5'),
    )) {
      expect(ack.id).toMatch(/^AwsSolutions-IAM5\[Resource::/);
    }
  });
});
