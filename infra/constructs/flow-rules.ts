import { Duration, Validations } from 'aws-cdk-lib';
import { type EventPattern as CdkEventPattern, type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { EventPattern } from '#contracts/patterns.ts';
import { targetDeadLetterQueueName } from '#wiring/dead-letter-queues.ts';
import type { Flow, TargetRetryPolicy } from '#wiring/flows.ts';
import type { FunctionName } from '#wiring/functions.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';

export interface ScheduledFlow {
  readonly id: string;
  readonly rateMinutes: number;
  readonly target: FunctionName;
  readonly retryPolicy: TargetRetryPolicy;
}

export interface FlowRulesProps {
  /** The event-pattern flows, from `flowsFor(settings)`. */
  readonly flows: readonly Flow[];
  /**
   * The scheduled flows; scheduled rules live on the default bus, as EventBridge requires.
   * @default none
   */
  readonly schedules?: readonly ScheduledFlow[];
  /** The bus our own and upstream events travel on. */
  readonly eventBus: IEventBus;
  /** The function behind each target name. */
  readonly functions: Readonly<Partial<Record<FunctionName, IFunction>>>;
}

/** One synthesized rule: where it listens, what it invokes, and where undeliverable events go. */
export interface FlowRule {
  readonly id: string;
  readonly rule: Rule;
  readonly target: FunctionName;
  /** The custom bus name, or undefined for the default bus. */
  readonly eventBusName?: string;
  readonly deadLetterQueue: DeadLetterQueue;
}

/**
 * True when every source of the pattern is an AWS service's. AWS delivers service events
 * (`aws.ecs` task state changes among them) to the default bus only, so a flow matching them must
 * say `eventBus: 'default'`; the construct refuses a table that says otherwise.
 */
export function matchesAwsServiceEvents(pattern: EventPattern): boolean {
  const sources = pattern.source;
  return (
    Array.isArray(sources) &&
    sources.length > 0 &&
    sources.every((source) => typeof source === 'string' && source.startsWith('aws.'))
  );
}

/**
 * One rule per flow, with the flow's pattern put in verbatim, and the flow's target with its
 * retry policy and its own SQS dead-letter queue. Construct ids are the flow ids.
 */
export class FlowRules extends Construct {
  readonly rules: readonly FlowRule[];

  constructor(scope: Construct, id: string, props: FlowRulesProps) {
    super(scope, id);
    const schedules = props.schedules ?? [];
    this.node.addValidation({
      validate: () => {
        const errors: string[] = [];
        const ids = [...props.flows.map((flow) => flow.id), ...schedules.map((schedule) => schedule.id)];
        const duplicate = ids.find((flowId, index) => ids.indexOf(flowId) !== index);
        if (duplicate) errors.push(`flow id "${duplicate}" is used twice`);
        for (const flow of [...props.flows, ...schedules]) {
          if (!props.functions[flow.target])
            errors.push(`flow "${flow.id}" targets "${flow.target}", which has no function`);
          const { maximumRetryAttempts: attempts, maximumEventAgeSeconds: age } = flow.retryPolicy;
          if (attempts < 0 || attempts > 185)
            errors.push(`flow "${flow.id}": retry attempts must be 0 to 185`);
          if (age < 60 || age > 86_400)
            errors.push(`flow "${flow.id}": maximum event age must be 60 to 86400 seconds`);
        }
        for (const flow of props.flows) {
          if (matchesAwsServiceEvents(flow.pattern) && flow.eventBus !== 'default') {
            errors.push(
              `flow "${flow.id}" matches AWS service events, which AWS delivers to the default bus only; set eventBus: 'default'`,
            );
          }
        }
        return errors;
      },
    });

    const rules: FlowRule[] = [];
    for (const flow of props.flows) {
      const onDefaultBus = flow.eventBus === 'default';
      const rule = new Rule(this, flow.id, {
        description: flow.description,
        ...(onDefaultBus ? {} : { eventBus: props.eventBus }),
        // Verbatim: Rule passes every key through and only renames `detailType`, which we never use.
        eventPattern: flow.pattern as CdkEventPattern,
      });
      rules.push({
        id: flow.id,
        rule,
        target: flow.target,
        ...(onDefaultBus ? {} : { eventBusName: props.eventBus.eventBusName }),
        deadLetterQueue: this.addTarget(rule, flow.id, flow.target, flow.retryPolicy, props.functions),
      });
    }
    for (const schedule of schedules) {
      const rule = new Rule(this, schedule.id, {
        description: `Every ${schedule.rateMinutes} minute(s) -> ${schedule.target}`,
        schedule: Schedule.rate(Duration.minutes(schedule.rateMinutes)),
      });
      rules.push({
        id: schedule.id,
        rule,
        target: schedule.target,
        deadLetterQueue: this.addTarget(
          rule,
          schedule.id,
          schedule.target,
          schedule.retryPolicy,
          props.functions,
        ),
      });
    }
    this.rules = rules;
  }

  private addTarget(
    rule: Rule,
    flowId: string,
    target: FunctionName,
    retryPolicy: TargetRetryPolicy,
    functions: FlowRulesProps['functions'],
  ): DeadLetterQueue {
    const deadLetterQueue = new DeadLetterQueue(this, `${flowId}TargetDlq`, {
      name: `${flowId}Target`,
      queueName: targetDeadLetterQueueName(flowId),
      purpose: `events the ${flowId} rule could not hand to the ${target} function`,
    });
    Validations.of(deadLetterQueue.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is the dead-letter queue of the ${flowId} rule's target; a dead-letter queue of a dead-letter queue adds nothing, and its depth alarm covers it.`,
    });
    const fn = functions[target];
    if (fn) {
      rule.addTarget(
        new LambdaFunction(fn, {
          deadLetterQueue: deadLetterQueue.queue,
          retryAttempts: retryPolicy.maximumRetryAttempts,
          maxEventAge: Duration.seconds(retryPolicy.maximumEventAgeSeconds),
        }),
      );
    }
    return deadLetterQueue;
  }
}
