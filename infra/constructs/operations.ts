import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { FUNCTIONS } from '#wiring/functions.ts';
import { METRIC, METRICS_NAMESPACE } from '#wiring/names.ts';
import type { DeadLetterQueue } from './dead-letter-queue.ts';
import type { FlowRule } from './flow-rules.ts';
import type { HandlerFunction } from './handler-function.ts';

export interface OperationsProps {
  /** The rules whose delivery failures raise alarms. */
  readonly rules: readonly FlowRule[];
  /** The functions whose errors, throttles and async failures raise alarms. */
  readonly functions: readonly HandlerFunction[];
  /** Every dead-letter queue: any message in one raises an alarm. */
  readonly deadLetterQueues: readonly DeadLetterQueue[];
  /** The ECS cluster, for the dashboard. */
  readonly clusterName: string;
  /**
   * SNS topic for alarm and OK notifications.
   * @default a topic of the stack's own, encrypted with its own KMS key
   */
  readonly alarmTopicArn?: string;
  /**
   * Email address subscribed to the stack's own alarm topic; not with `alarmTopicArn`.
   * @default none
   */
  readonly alarmEmail?: string;
  /**
   * `Workspace Provision Failed` events per 5 minutes that raise the failure-rate alarm.
   * @default 5
   */
  readonly provisionFailureAlarmThreshold?: number;
  /**
   * Powertools metrics namespace the handlers write to.
   * @default METRICS_NAMESPACE
   */
  readonly metricsNamespace?: string;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms on every way an event can stall or be lost (dead-letter queue depth, rule delivery
 * failures, function errors, throttles and async delivery failures), on the rate of
 * `Workspace Provision Failed`, on failed data saves (v1.3), and a dashboard of the flow.
 */
export class Operations extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  /** Where every alarm and OK notification goes. */
  readonly topic: ITopic;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const threshold = props.provisionFailureAlarmThreshold ?? 5;
    const namespace = props.metricsNamespace ?? METRICS_NAMESPACE;
    this.node.addValidation({
      validate: () => [
        ...(Number.isInteger(threshold) && threshold >= 1
          ? []
          : [`provisionFailureAlarmThreshold must be a whole number of at least 1; got ${threshold}`]),
        ...(props.alarmEmail && props.alarmTopicArn
          ? [
              'alarmEmail subscribes to the topic this construct creates; it cannot be combined with alarmTopicArn',
            ]
          : []),
      ],
    });
    this.topic = props.alarmTopicArn
      ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
      : this.createAlarmTopic(props.alarmEmail);

    for (const dlq of props.deadLetterQueues) {
      this.addAlarm(`${dlq.name}DlqDepth`, {
        metric: dlq.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        description: `Messages wait in a dead-letter queue: ${dlq.purpose}. Inspect them (workspaces dead-letters list --aws), fix the cause, then redrive (workspaces dead-letters redrive --aws; README "Dead letters: look, fix, redrive").`,
      });
    }

    for (const flow of props.rules) {
      this.addAlarm(`${flow.id}FailedInvocations`, {
        metric: ruleMetric(flow, 'FailedInvocations'),
        description: `The ${flow.id} rule failed permanently to invoke ${flow.target}.`,
      });
      this.addAlarm(`${flow.id}DlqDeliveryFailures`, {
        metric: ruleMetric(flow, 'InvocationsFailedToBeSentToDlq'),
        description: `The ${flow.id} rule could neither invoke ${flow.target} nor write to its dead-letter queue: events were lost.`,
      });
    }

    for (const handler of props.functions) {
      const { spec } = handler;
      const fn = handler.function;
      this.addAlarm(`${pascal(spec.name)}Errors`, {
        metric: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        description: `The ${spec.name} function reported errors; async retries and the failure path are at work.`,
      });
      // With reserved concurrency, throttling is how a burst queues up (Lambda holds throttled
      // async events for hours), so only throttling that lasts 15 minutes is a problem.
      const burstBuffer = handler.reservedConcurrency !== undefined;
      this.addAlarm(`${pascal(spec.name)}Throttles`, {
        metric: fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        evaluationPeriods: burstBuffer ? 3 : 1,
        description: burstBuffer
          ? `The ${spec.name} function has been throttled for 15 minutes: the backlog is not draining at its reserved concurrency.`
          : `The ${spec.name} function was throttled: the account's concurrency is exhausted.`,
      });
      if (spec.onFailure) {
        this.addAlarm(`${pascal(spec.name)}DestinationDeliveryFailures`, {
          metric: fn.metric('DestinationDeliveryFailures', { period: PERIOD, statistic: 'Sum' }),
          description: `The ${spec.name} function could not deliver a failed event to ${spec.onFailure}: a Workspace Provision, Deprovision or Config Overlay Failed event may be missing.`,
        });
      }
      if (spec.deadLetterQueue) {
        this.addAlarm(`${pascal(spec.name)}DeadLetterErrors`, {
          metric: fn.metric('DeadLetterErrors', { period: PERIOD, statistic: 'Sum' }),
          description: `The ${spec.name} function could not write a failed event to its dead-letter queue: events were lost.`,
        });
      }
    }

    // Metrics Insights sums ProvisionFailed across the functions that count it; a GetMetricData
    // request (an alarm's too) may hold only one Insights query, so the two failures only the
    // failure reporter counts are plain metrics under its Powertools `service` dimension, which
    // HandlerFunction sets to the spec's name.
    const reporterMetric = (metricName: string) =>
      new Metric({
        namespace,
        metricName,
        dimensionsMap: { service: FUNCTIONS['failure-reporter'].name },
        statistic: 'Sum',
        period: PERIOD,
      });
    const failures = new MathExpression({
      expression: 'FILL(provisionFailed, 0) + FILL(deprovisionFailed, 0) + FILL(overlayFailed, 0)',
      usingMetrics: {
        provisionFailed: new MathExpression({
          // Only the series with `service` alone: countByCode adds each failure a second time
          // under `service` + `code`, which a query over every dimension would count twice.
          expression: `SELECT SUM(${METRIC.provisionFailed}) FROM SCHEMA("${namespace}", service)`,
          usingMetrics: {},
          period: PERIOD,
        }),
        deprovisionFailed: reporterMetric(METRIC.deprovisionFailed),
        overlayFailed: reporterMetric(METRIC.overlayFailed),
      },
      period: PERIOD,
      label: 'Workspace Provision, Deprovision and Config Overlay Failed',
    });
    this.addAlarm('ProvisionFailedRate', {
      metric: failures,
      threshold,
      description: `${threshold} or more Workspace Provision Failed, Deprovision Failed or Config Overlay Failed events in 5 minutes. Look at their codes: capacity, throttling, launch or start failures, timeouts, stops or overlays that outlasted their retries.`,
    });

    // v1.2: a crash loop the provisioner gave up on (task-state counts it), and anything the
    // reconciliation had to set right (the sweep counts it): each one is worth a look.
    const serviceMetric = (service: string, metricName: string) =>
      new Metric({ namespace, metricName, dimensionsMap: { service }, statistic: 'Sum', period: PERIOD });
    this.addAlarm('RecoveryAbandoned', {
      metric: serviceMetric(FUNCTIONS['task-state'].name, METRIC.recoveryAbandoned),
      threshold: 1,
      description:
        'A workspace kept crashing and its recovery was abandoned (Workspace Recovery Abandoned). Look at its Workspace Stopped events: cause and exit code.',
    });
    const findings = new MathExpression({
      expression: 'FILL(orphans, 0) + FILL(lost, 0) + FILL(saves, 0)',
      usingMetrics: {
        orphans: serviceMetric(FUNCTIONS['timeout-sweep'].name, METRIC.reconcileOrphanStopped),
        lost: serviceMetric(FUNCTIONS['timeout-sweep'].name, METRIC.reconcileLostRecovered),
        // v1.3: a data save whose stop or snapshot notification was lost, resumed by the sweep.
        saves: serviceMetric(FUNCTIONS['timeout-sweep'].name, METRIC.reconcileDataSaveResumed),
      },
      period: PERIOD,
      label: 'Reconciliation findings',
    });
    this.addAlarm('ReconciliationFindings', {
      metric: findings,
      threshold: 1,
      description:
        'The reconciliation stopped a task no workspace owns (Workspace Orphan Task Stopped), recovered a workspace whose task was lost, or resumed a persistent data save whose stop or snapshot notification was lost. Each means an event or a step went missing.',
    });

    // v1.3: a snapshot of a workspace's data volume failed (the lifecycle function counts it when
    // EBS reports the failed createSnapshot); the volume is kept, and someone should look.
    const lifecycleService = FUNCTIONS.lifecycle.name;
    this.addAlarm('DataSaveFailed', {
      metric: serviceMetric(lifecycleService, METRIC.dataSaveFailed),
      threshold: 1,
      description:
        "A persistent workspace's data could not be saved (Workspace Data Save Failed): its EBS snapshot failed and the volume was kept. Look at the event's volumeId and the snapshot's state message, then snapshot the volume again or restore by hand.",
    });

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Workspace provisioner\nRequests in, tasks launched, failures out. Every alarm is listed on the right.',
        width: 12,
        height: 6,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12, height: 6 }),
    );
    this.dashboard.addWidgets(
      graph(
        'Rule invocations',
        props.rules.map((flow) => ruleMetric(flow, 'Invocations', flow.id)),
      ),
      graph('Rule failures', [
        ...props.rules.map((flow) => ruleMetric(flow, 'FailedInvocations', `${flow.id} failed`)),
        ...props.rules.map((flow) => ruleMetric(flow, 'InvocationsSentToDlq', `${flow.id} to DLQ`)),
      ]),
      graph('Workspace Failed events', [failures]),
    );
    const fns = props.functions;
    this.dashboard.addWidgets(
      graph(
        'Function invocations',
        fns.map((h) => h.function.metricInvocations({ period: PERIOD, label: h.spec.name })),
      ),
      graph(
        'Function errors',
        fns.map((h) => h.function.metricErrors({ period: PERIOD, label: h.spec.name })),
      ),
      graph(
        'Function throttles',
        fns.map((h) => h.function.metricThrottles({ period: PERIOD, label: h.spec.name })),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Function duration p99',
        fns.map((h) => h.function.metricDuration({ period: PERIOD, statistic: 'p99', label: h.spec.name })),
      ),
      graph(
        'Dead-letter queue depth',
        props.deadLetterQueues.map((dlq) =>
          dlq.queue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: 'Maximum',
            label: dlq.name,
          }),
        ),
      ),
      graph('Running workspace tasks', [
        new Metric({
          namespace: 'ECS/ContainerInsights',
          metricName: 'RunningTaskCount',
          dimensionsMap: { ClusterName: props.clusterName },
          statistic: 'Average',
          period: Duration.minutes(1),
          label: 'running tasks',
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Workspace data (v1.3)', [
        serviceMetric(lifecycleService, METRIC.dataSaveStarted).with({ label: 'saves started' }),
        serviceMetric(lifecycleService, METRIC.dataSaved).with({ label: 'saved' }),
        serviceMetric(lifecycleService, METRIC.dataSaveFailed).with({ label: 'save failed' }),
        serviceMetric(FUNCTIONS.deprovision.name, METRIC.dataErased).with({ label: 'erased' }),
      ]),
    );
  }

  /**
   * An SNS topic encrypted with a key of its own, reachable over TLS only, that CloudWatch alarms of
   * this account may publish to. CloudWatch needs `kms:Decrypt` and `kms:GenerateDataKey*` on the key
   * to publish to an encrypted topic (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
   * without them every notification is dropped, silently.
   */
  private createAlarmTopic(email: string | undefined): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Workspace provisioner alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
    };
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsEncryptNotifications',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Workspace provisioner alarms',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (email) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }

  private addAlarm(
    id: string,
    options: { metric: IMetric; description: string; threshold?: number; evaluationPeriods?: number },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric: options.metric,
      threshold: options.threshold ?? 1,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // These metrics are only published when non-zero: no data means nothing went wrong.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}

/**
 * An EventBridge rule metric. Rules on a custom bus publish with `EventBusName` and `RuleName`,
 * rules on the default bus with `RuleName` only.
 */
function ruleMetric(flow: FlowRule, metricName: string, label?: string): Metric {
  return new Metric({
    namespace: 'AWS/Events',
    metricName,
    dimensionsMap: flow.eventBusName
      ? { EventBusName: flow.eventBusName, RuleName: flow.rule.ruleName }
      : { RuleName: flow.rule.ruleName },
    statistic: 'Sum',
    period: PERIOD,
    ...(label ? { label } : {}),
  });
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 8, height: 6 });
}

const pascal = (name: string): string =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
