import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** Short name, unique in the stack, for alarm ids and dashboard labels: `ProvisionRequestedTarget`. */
  readonly name: string;
  /**
   * The queue's physical name, from wiring/dead-letter-queues.ts, so `workspaces dead-letters` finds it.
   * @default a name CloudFormation generates
   */
  readonly queueName?: string;
  /** What lands here, in a few words; it goes into the alarm text. */
  readonly purpose: string;
  /**
   * How long a dead letter is kept for inspection and redrive.
   * @default 14 days, the SQS maximum
   */
  readonly retentionPeriod?: Duration;
}

/**
 * An SQS dead-letter queue that EventBridge and Lambda can actually write to: SSE-SQS encryption
 * (EventBridge cannot use the AWS-managed `alias/aws/sqs` key, and a customer key would need a key
 * policy for it) and a policy that refuses plain-HTTP access.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: Queue;
  readonly purpose: string;
  readonly name: string;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.purpose = props.purpose;
    this.name = props.name;
    const retentionPeriod = props.retentionPeriod ?? Duration.days(14);
    this.node.addValidation({
      validate: () =>
        retentionPeriod.toSeconds() < 60 || retentionPeriod.toSeconds() > Duration.days(14).toSeconds()
          ? [`retentionPeriod must be between 60 seconds and 14 days; got ${retentionPeriod.toHumanString()}`]
          : [],
    });
    this.queue = new Queue(this, 'Queue', {
      ...(props.queueName ? { queueName: props.queueName } : {}),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
    });
  }
}
