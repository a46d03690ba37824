import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { CONTAINER_NAME, DATA_VOLUME_NAME, TAG_KEYS } from '#contracts/names.ts';
import { FUNCTIONS, type FunctionName } from '#wiring/functions.ts';
import {
  DEFAULT_DATA_SAVE_WAIT_SECONDS,
  DEFAULT_DATA_SNAPSHOT_RETENTION,
  DEFAULT_DATA_TAG,
  METRIC,
  METRICS_NAMESPACE,
} from '#wiring/names.ts';
import { resourcesOf, statementsOfRole, synth } from './fixtures.ts';

/**
 * v1.3 persistent workspace data (decision 020): the task definitions' data volume, the ECS
 * infrastructure role and KMS key, and what each function may do with volumes and snapshots.
 */

const { template } = synth();
const catalog = loadCatalog();
const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
const roleOf = (name: FunctionName) => `${pascal(name)}Role`;
const actionsOf = (statement: Record<string, unknown>): string[] =>
  ([] as string[]).concat(statement.Action as string | string[]);
const statementsWith = (name: FunctionName, action: string) =>
  statementsOfRole(template, roleOf(name)).filter((statement) => actionsOf(statement).includes(action));
const infrastructureRoleArn = {
  'Fn::GetAtt': [expect.stringMatching(/^DataVolumesInfrastructureRole/), 'Arn'],
};
const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });
const partition = { Ref: 'AWS::Partition' };
const region = { Ref: 'AWS::Region' };
const account = { Ref: 'AWS::AccountId' };
// Volume ARNs name the account; snapshot ARNs do not (`arn:aws:ec2:us-east-1::snapshot/*`): EBS
// User Guide, "Example IAM policies for Amazon EBS",
// https://docs.aws.amazon.com/ebs/latest/userguide/security_iam_id-based-policy-examples.html
const volumeArns = join('arn:', partition, ':ec2:', region, ':', account, ':volume/*');
const snapshotArns = join('arn:', partition, ':ec2:', region, '::snapshot/*');

/** What a function may do with this deployment's data volumes and snapshots. */
const tagScopedStatements = (dataTag: string) => [
  // CreateSnapshot is authorized on the source volume and on the new snapshot, and tagging on create
  // needs ec2:CreateTags limited by ec2:CreateAction (EBS User Guide, "Example: Create a snapshot
  // with tags", link above); aws:ResourceTag and aws:RequestTag are the tag condition keys EC2
  // supports on volume and snapshot resources (Service Authorization Reference for Amazon EC2,
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
  {
    Effect: 'Allow',
    Action: 'ec2:CreateSnapshot',
    Resource: volumeArns,
    Condition: { StringEquals: { [`aws:ResourceTag/${TAG_KEYS.provisioner}`]: dataTag } },
  },
  {
    Effect: 'Allow',
    Action: 'ec2:CreateSnapshot',
    Resource: snapshotArns,
    Condition: { StringEquals: { [`aws:RequestTag/${TAG_KEYS.provisioner}`]: dataTag } },
  },
  {
    Effect: 'Allow',
    Action: 'ec2:CreateTags',
    Resource: snapshotArns,
    Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
  },
  {
    Effect: 'Allow',
    Action: ['ec2:DeleteVolume', 'ec2:DeleteSnapshot'],
    Resource: [volumeArns, snapshotArns],
    Condition: { StringEquals: { [`aws:ResourceTag/${TAG_KEYS.provisioner}`]: dataTag } },
  },
];
const writeActions = ['ec2:CreateSnapshot', 'ec2:CreateTags', 'ec2:DeleteVolume', 'ec2:DeleteSnapshot'];
const ec2WritesOf = (source: ReturnType<typeof synth>['template'], name: FunctionName) =>
  statementsOfRole(source, roleOf(name)).filter((statement) =>
    actionsOf(statement).some((action) => writeActions.includes(action)),
  );

describe('persistent data volumes (v1.3)', () => {
  describe('task definitions', () => {
    const definitions = Object.values(resourcesOf(template, 'AWS::ECS::TaskDefinition'));
    const definitionOf = (family: string) => {
      const found = definitions.filter((definition) => definition.Properties.Family === family);
      expect(found).toHaveLength(1);
      return found[0]?.Properties as Record<string, unknown>;
    };

    // A volume configured at launch takes its EBS configuration from RunTask's volumeConfigurations
    // ("To configure a volume at launch time, use this task definition revision and specify a
    // volumeConfigurations object when calling ... RunTask"; a task definition may have only one
    // such volume): Amazon ECS API Reference, Volume,
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Volume.html, and "Defer volume
    // configuration to launch time", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specify-ebs-config.html.
    // RunTask's volumeConfigurations is optional ("Required: No", API_RunTask); the pages above do
    // not say in so many words what a task without it mounts, and an ephemeral workspace is launched
    // without it (the lead's end-to-end check on AWS is the proof).
    it.each(Object.values(catalog.runtimes).map((runtime) => [runtime.name, runtime] as const))(
      'gives workspace-%s the data volume, configured at launch, mounted read/write at its data path',
      (_, runtime) => {
        const definition = definitionOf(runtime.family);
        const volumes = definition.Volumes as Array<Record<string, unknown>>;
        expect(volumes.filter((volume) => volume.Name === DATA_VOLUME_NAME)).toEqual([
          { Name: DATA_VOLUME_NAME, ConfiguredAtLaunch: true },
        ]);
        expect(volumes.filter((volume) => volume.ConfiguredAtLaunch === true)).toHaveLength(1);
        const containers = definition.ContainerDefinitions as Array<Record<string, unknown>>;
        const mountsOf = (container: Record<string, unknown>) =>
          ((container.MountPoints ?? []) as Array<Record<string, unknown>>).filter(
            (mount) => mount.SourceVolume === DATA_VOLUME_NAME,
          );
        const workspace = containers.find((container) => container.Name === CONTAINER_NAME);
        expect(workspace && mountsOf(workspace)).toEqual([
          { SourceVolume: DATA_VOLUME_NAME, ContainerPath: runtime.dataPath, ReadOnly: false },
        ]);
        // Only the workspace sees the data; the boot step writes configs only.
        for (const other of containers.filter((container) => container.Name !== CONTAINER_NAME)) {
          expect(mountsOf(other)).toEqual([]);
        }
      },
    );
  });

  describe('ECS infrastructure role', () => {
    const roles = Object.entries(resourcesOf(template, 'AWS::IAM::Role')).filter(([id]) =>
      id.startsWith('DataVolumesInfrastructureRole'),
    );

    it('is trusted by ECS only, named like the local default, with the managed policy ECS documents', () => {
      expect(roles).toHaveLength(1);
      const properties = roles[0]?.[1].Properties as Record<string, unknown>;
      // The trust policy and the policy ARN of "Amazon ECS infrastructure IAM role",
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/infrastructure_IAM_role.html
      // (`arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes`).
      expect(properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      });
      expect(properties.ManagedPolicyArns).toEqual([
        join('arn:', partition, ':iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes'),
      ]);
      // No fixed name: IAM role names are account-wide, and two deployments in one account (two
      // Regions) must not collide. CloudFormation generates one per stack.
      expect(properties.RoleName).toBeUndefined();
      // Nothing else is attached to it.
      const inline = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((policy) =>
        ((policy.Properties.Roles ?? []) as Array<{ Ref: string }>).some(
          (role) => role.Ref === roles[0]?.[0],
        ),
      );
      expect(inline).toEqual([]);
    });

    it.each(['provision', 'assets-staged', 'lifecycle'] as FunctionName[])(
      'may be passed by %s, to ECS only',
      (name) => {
        // "Permission to pass the infrastructure role to Amazon ECS", same page: iam:PassRole with
        // iam:PassedToService ecs.amazonaws.com.
        expect(
          statementsWith(name, 'iam:PassRole').filter((statement) =>
            JSON.stringify(statement.Resource).includes('DataVolumesInfrastructureRole'),
          ),
        ).toEqual([
          {
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: infrastructureRoleArn,
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
          },
        ]);
      },
    );

    it.each(['overlay', 'task-state', 'deprovision', 'timeout-sweep', 'failure-reporter'] as FunctionName[])(
      'may not be passed by %s, which launches nothing',
      (name) => {
        expect(JSON.stringify(statementsOfRole(template, roleOf(name)))).not.toContain(
          'DataVolumesInfrastructureRole',
        );
      },
    );
  });

  it('outputs the infrastructure role and the key', () => {
    expect(template.findOutputs('DataVolumeRoleArn')).toEqual({
      DataVolumeRoleArn: expect.objectContaining({ Value: infrastructureRoleArn }),
    });
    expect(template.findOutputs('DataVolumeKeyArn')).toEqual({
      DataVolumeKeyArn: expect.objectContaining({
        Value: { 'Fn::GetAtt': [expect.stringMatching(/^DataVolumesKey/), 'Arn'] },
      }),
    });
  });

  describe('KMS key', () => {
    const keys = Object.entries(resourcesOf(template, 'AWS::KMS::Key')).filter(([id]) =>
      id.startsWith('DataVolumesKey'),
    );
    const key = () =>
      keys[0]?.[1] as unknown as Record<string, unknown> & { Properties: Record<string, unknown> };

    it('is rotated and kept when the stack goes: the snapshots need it', () => {
      expect(keys).toHaveLength(1);
      expect(key().Properties.EnableKeyRotation).toBe(true);
      expect(key().DeletionPolicy).toBe('Retain');
    });

    it('lets the infrastructure role use it only through EC2 in this account and Region', () => {
      // The two statements AWS documents for a role that creates encrypted EBS volumes with a
      // customer managed key: the key's use, and CreateGrant only for AWS resources ("Required AWS
      // KMS key policy for use with encrypted volumes",
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html;
      // kms:GrantIsForAWSResource, https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html),
      // with kms:ViaService ec2.<region>.amazonaws.com and kms:CallerAccount.
      const throughEc2 = {
        StringEquals: {
          'kms:ViaService': join('ec2.', region, '.amazonaws.com'),
          'kms:CallerAccount': account,
        },
      };
      const statements = (key().Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> })
        .Statement;
      const forRole = statements.filter((statement) =>
        JSON.stringify(statement.Principal).includes('DataVolumesInfrastructureRole'),
      );
      expect(forRole).toEqual([
        {
          Sid: 'EcsInfrastructureRoleUsesKeyThroughEc2',
          Effect: 'Allow',
          Principal: { AWS: infrastructureRoleArn },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          Resource: '*',
          Condition: throughEc2,
        },
        {
          Sid: 'EcsInfrastructureRoleGrantsForEbsVolumes',
          Effect: 'Allow',
          Principal: { AWS: infrastructureRoleArn },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { ...throughEc2, Bool: { 'kms:GrantIsForAWSResource': true } },
        },
      ]);
      // The rest is CDK's default: the account administers the key through IAM.
      expect(statements.filter((statement) => !forRole.includes(statement))).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: join('arn:', partition, ':iam::', account, ':root') },
          Action: 'kms:*',
          Resource: '*',
        },
      ]);
    });
  });

  describe('function permissions', () => {
    it.each(['provision', 'assets-staged', 'lifecycle', 'deprovision', 'timeout-sweep'] as FunctionName[])(
      'lets %s describe volumes and snapshots, which support no resource scoping',
      (name) => {
        // DescribeVolumes and DescribeSnapshots have no resource type (Service Authorization
        // Reference for Amazon EC2, link above): "*" is the only resource they accept.
        expect(statementsWith(name, 'ec2:DescribeVolumes')).toEqual([
          { Effect: 'Allow', Action: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'], Resource: '*' },
        ]);
      },
    );

    // timeout-sweep: v1.3, the saves it resumes when their events were lost.
    it.each(['lifecycle', 'deprovision', 'timeout-sweep'] as FunctionName[])(
      'lets %s snapshot and delete only volumes and snapshots with the deployment tag',
      (name) => {
        expect(ec2WritesOf(template, name)).toEqual(tagScopedStatements(DEFAULT_DATA_TAG));
      },
    );

    it('scopes the snapshot and delete grants by a custom dataTag', () => {
      const { template: custom } = synth({ dataTag: 'acme-workspaces' });
      for (const name of ['lifecycle', 'deprovision', 'timeout-sweep'] as FunctionName[]) {
        expect(ec2WritesOf(custom, name)).toEqual(tagScopedStatements('acme-workspaces'));
      }
    });

    it.each(['provision', 'assets-staged', 'overlay', 'task-state', 'failure-reporter'] as FunctionName[])(
      'gives %s no EC2 write',
      (name) => {
        expect(ec2WritesOf(template, name)).toEqual([]);
      },
    );

    it.each(['overlay', 'task-state', 'failure-reporter'] as FunctionName[])(
      'gives %s no EC2 read either',
      (name) => {
        expect(statementsWith(name, 'ec2:DescribeVolumes')).toEqual([]);
      },
    );
  });

  describe('function environment', () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const variablesOf = (
      source: Record<string, { Properties: Record<string, unknown> }>,
      name: FunctionName,
    ) => {
      const found = Object.entries(source).filter(([id]) => id.startsWith(`${pascal(name)}Function`));
      expect(found).toHaveLength(1);
      const [entry] = found;
      if (!entry) throw new Error(`no ${name} function in the template`);
      return (entry[1].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    };

    it.each(['provision', 'assets-staged', 'lifecycle', 'deprovision'] as FunctionName[])(
      'gives %s the data-volume settings',
      (name) => {
        expect(variablesOf(functions, name)).toMatchObject({
          DATA_VOLUME_ROLE_ARN: infrastructureRoleArn,
          DATA_VOLUME_KMS_KEY_ARN: { 'Fn::GetAtt': [expect.stringMatching(/^DataVolumesKey/), 'Arn'] },
          DATA_TAG: DEFAULT_DATA_TAG,
          DATA_SNAPSHOT_RETENTION: String(DEFAULT_DATA_SNAPSHOT_RETENTION),
          DATA_SAVE_WAIT_SECONDS: String(DEFAULT_DATA_SAVE_WAIT_SECONDS),
        });
      },
    );

    it('gives timeout-sweep the tag and the retention its resumed saves use', () => {
      expect(variablesOf(functions, 'timeout-sweep')).toMatchObject({
        DATA_TAG: DEFAULT_DATA_TAG,
        DATA_SNAPSHOT_RETENTION: String(DEFAULT_DATA_SNAPSHOT_RETENTION),
      });
    });

    it.each(['overlay', 'task-state', 'failure-reporter'] as FunctionName[])(
      'gives %s none of them',
      (name) => {
        expect(
          Object.keys(variablesOf(functions, name)).filter((variable) => variable.startsWith('DATA_')),
        ).toEqual([]);
      },
    );

    it('passes the deploy options through', () => {
      const { template: custom } = synth({
        dataTag: 'acme-workspaces',
        dataSnapshotRetention: '7',
        dataSaveWaitSeconds: '90',
      });
      expect(variablesOf(resourcesOf(custom, 'AWS::Lambda::Function'), 'lifecycle')).toMatchObject({
        DATA_TAG: 'acme-workspaces',
        DATA_SNAPSHOT_RETENTION: '7',
        DATA_SAVE_WAIT_SECONDS: '90',
      });
    });
  });

  describe('operations', () => {
    it('raises an alarm on one failed data save in 5 minutes, counted by the lifecycle function', () => {
      const alarms = Object.entries(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(([id]) =>
        id.startsWith('OperationsDataSaveFailed'),
      );
      expect(alarms).toHaveLength(1);
      expect(alarms[0]?.[1].Properties).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.dataSaveFailed,
        Dimensions: [{ Name: 'service', Value: FUNCTIONS.lifecycle.name }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('charts saves, failed saves and erasures on the dashboard', () => {
      const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
      expect(dashboards).toHaveLength(1);
      const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
      for (const metric of [
        METRIC.dataSaveStarted,
        METRIC.dataSaved,
        METRIC.dataSaveFailed,
        METRIC.dataErased,
      ]) {
        expect(body).toContain(`\\"${metric}\\"`);
      }
    });
  });
});
