import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import {
  LIVE_SHARD_ATTRIBUTE,
  LIVE_SORT_ATTRIBUTE,
  LIVE_WORKSPACES_INDEX,
} from '#adapters/dynamodb-workspace-records.ts';
import { IdempotencyTable } from '#infra/constructs/idempotency-table.ts';
import { DEAD_LETTER_QUEUES } from '#wiring/dead-letter-queues.ts';
import { FUNCTION_NAMES, FUNCTIONS } from '#wiring/functions.ts';
import { METRIC, METRICS_NAMESPACE } from '#wiring/names.ts';
import { resourcesOf, synth } from './fixtures.ts';

const { template } = synth();
const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map(
  (alarm) => alarm.Properties as Record<string, unknown>,
);
const alarmsOn = (metricName: string) => alarms.filter((alarm) => alarm.MetricName === metricName);

describe('idempotency table', () => {
  it('is on demand, expires records by the expiration attribute and has point-in-time recovery', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('has the sparse live-workspaces index the workspace record store queries, projecting whole records', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: LIVE_WORKSPACES_INDEX,
          KeySchema: [
            { AttributeName: LIVE_SHARD_ATTRIBUTE, KeyType: 'HASH' },
            { AttributeName: LIVE_SORT_ATTRIBUTE, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: LIVE_SHARD_ATTRIBUTE, AttributeType: 'S' },
      ]),
    });
    expect([LIVE_WORKSPACES_INDEX, LIVE_SHARD_ATTRIBUTE, LIVE_SORT_ATTRIBUTE]).toEqual([
      'live-workspaces',
      'liveShard',
      'id',
    ]);
  });

  it('grants Query on the live-workspaces index alone', () => {
    const stack = new Stack(new App(), 'Grants');
    const table = new IdempotencyTable(stack, 'State');
    const role = new Role(stack, 'Sweep', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    table.grantLiveWorkspacesQuery(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'dynamodb:Query',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': [
                '',
                [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^StateTable'), 'Arn'] }, '/index/live-workspaces'],
              ],
            },
          },
        ],
      },
    });
  });
});

describe('operations', () => {
  it('alarms on any message in any of the dead-letter queues', () => {
    const depth = alarmsOn('ApproximateNumberOfMessagesVisible');
    expect(depth).toHaveLength(DEAD_LETTER_QUEUES.length);
    for (const alarm of depth) {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('alarms on FailedInvocations of every rule, with the dimensions of its bus', () => {
    const failed = alarmsOn('FailedInvocations');
    const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
    expect(failed).toHaveLength(rules.length);
    const dimensionNames = failed.map((alarm) =>
      (alarm.Dimensions as Array<{ Name: string }>)
        .map((dimension) => dimension.Name)
        .sort()
        .join('+'),
    );
    // A rule on the project's bus has an EventBusName dimension; one on the default bus does not.
    expect(dimensionNames.sort()).toEqual(
      rules.map((rule) => (rule.Properties.EventBusName ? 'EventBusName+RuleName' : 'RuleName')).sort(),
    );
    for (const alarm of failed)
      expect(alarm).toMatchObject({ Namespace: 'AWS/Events', TreatMissingData: 'notBreaching' });
    expect(alarmsOn('InvocationsFailedToBeSentToDlq')).toHaveLength(rules.length);
  });

  it('alarms on errors and throttles of every function', () => {
    expect(alarmsOn('Errors')).toHaveLength(FUNCTION_NAMES.length);
    const throttles = alarmsOn('Throttles');
    expect(throttles).toHaveLength(FUNCTION_NAMES.length);
    // Throttling is how provision's reserved concurrency queues a burst; only lasting throttling alarms.
    expect(throttles.filter((alarm) => alarm.EvaluationPeriods === 3)).toHaveLength(1);
  });

  it('alarms when a failed event cannot reach its destination or dead-letter queue', () => {
    expect(alarmsOn('DestinationDeliveryFailures')).toHaveLength(
      FUNCTION_NAMES.filter((name) => FUNCTIONS[name].onFailure).length,
    );
    expect(alarmsOn('DeadLetterErrors')).toHaveLength(
      FUNCTION_NAMES.filter((name) => FUNCTIONS[name].deadLetterQueue).length,
    );
  });

  it('alarms on the rate of Workspace Provision Failed', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          // Each failure once: the per-code copy (service + code) is a different schema.
          Expression: 'SELECT SUM(ProvisionFailed) FROM SCHEMA("WorkspaceProvisioner", service)',
          Period: 300,
          ReturnData: false,
        }),
      ]),
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    synth({ provisionFailureAlarmThreshold: '20' }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.stringLikeRegexp('ProvisionFailed') })]),
      Threshold: 20,
    });
  });

  it('adds Deprovision Failed and Config Overlay Failed, counted by the failure reporter, to the failure rate', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression: 'FILL(provisionFailed, 0) + FILL(deprovisionFailed, 0) + FILL(overlayFailed, 0)',
          ReturnData: true,
        }),
        ...[METRIC.deprovisionFailed, METRIC.overlayFailed].map((metricName) =>
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: METRICS_NAMESPACE,
                MetricName: metricName,
                Dimensions: [{ Name: 'service', Value: FUNCTIONS['failure-reporter'].name }],
              },
              Stat: 'Sum',
              Period: 300,
            }),
            ReturnData: false,
          }),
        ),
      ]),
    });
  });

  it('alarms on a crash loop abandoned and on any reconciliation finding (v1.2)', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties,
    );
    const abandoned = alarms.find((alarm) => JSON.stringify(alarm).includes(METRIC.recoveryAbandoned));
    expect(abandoned).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const findings = alarms.find((alarm) => JSON.stringify(alarm).includes(METRIC.reconcileOrphanStopped));
    expect(JSON.stringify(findings)).toContain(METRIC.reconcileLostRecovered);
    // v1.3: a data save the sweep had to resume is a finding too.
    expect(JSON.stringify(findings)).toContain(METRIC.reconcileDataSaveResumed);
    expect(findings).toMatchObject({ Threshold: 1 });
  });

  it('has a dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('sends alarm and OK notifications of every alarm to its own topic without alarmTopicArn', () => {
    const topics = Object.keys(resourcesOf(template, 'AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const ownTopic = { Ref: topics[0] };
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ AlarmActions: [ownTopic], OKActions: [ownTopic] });
    }
    expect(template.findOutputs('AlarmTopicArn', { Value: ownTopic })).not.toEqual({});
  });

  it('encrypts its own topic with a rotated KMS key that CloudWatch alarms of this account may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OperationsAlarmTopicKey'), 'Arn'] },
    });
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': Match.anyValue() },
    };
    // Without the key grant CloudWatch cannot publish to an encrypted topic, and notifications are
    // dropped (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: fromOurAlarms,
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: fromOurAlarms,
          }),
        ]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes alarmEmail to its own topic', () => {
    synth({ alarmEmail: 'oncall@example.com' }).template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^OperationsAlarmTopic') },
    });
  });

  it('sends alarm and OK notifications to the configured topic', () => {
    const topic = 'arn:aws:sns:us-east-1:123456789012:workspace-alerts';
    const withTopic = Object.values(
      resourcesOf(synth({ alarmTopicArn: topic }).template, 'AWS::CloudWatch::Alarm'),
    );
    expect(withTopic.length).toBe(alarms.length);
    for (const alarm of withTopic) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    }
    const custom = synth({ alarmTopicArn: topic }).template;
    custom.resourceCountIs('AWS::SNS::Topic', 0);
    // No key for a topic the stack does not own: the keys left are the workspace files bucket's and
    // (v1.3) the persistent data volumes'.
    expect(Object.keys(resourcesOf(custom, 'AWS::KMS::Key')).sort()).toEqual([
      expect.stringMatching(/^DataVolumesKey/),
      expect.stringMatching(/^WorkspaceFilesKey/),
    ]);
    expect(custom.findOutputs('AlarmTopicArn', { Value: topic })).not.toEqual({});
  });
});
