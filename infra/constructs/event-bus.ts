import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { AccountPrincipal, AnyPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { EventBusSettings } from '#infra/settings.ts';

export interface WorkspaceEventBusProps {
  /** Create the bus, or import an existing one by name or ARN. */
  readonly settings: EventBusSettings;
  /**
   * Accounts that may put request events on the created bus.
   * @default none: only principals of this account, through IAM
   */
  readonly publisherAccountIds?: readonly string[];
  /**
   * AWS Organization whose accounts may put request events on the created bus.
   * @default none
   */
  readonly publisherOrgId?: string;
  /**
   * Sources a cross-account publisher may use. Required with publishers, so that a publisher can
   * never forge the provisioner's own events.
   * @default none
   */
  readonly publisherSources?: readonly string[];
}

/** The `workspaces` bus (or an imported one), with an optional publisher resource policy. */
export class WorkspaceEventBus extends Construct {
  readonly bus: IEventBus;
  /** What handlers pass to PutEvents: the bus name, or the ARN of a bus imported by ARN. */
  readonly busNameOrArn: string;
  /** Whether this stack created the bus. */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: WorkspaceEventBusProps) {
    super(scope, id);
    const { settings } = props;
    const accounts = props.publisherAccountIds ?? [];
    const sources = props.publisherSources ?? [];
    const hasPublishers = accounts.length > 0 || props.publisherOrgId !== undefined;

    this.node.addValidation({
      validate: () => {
        const errors: string[] = [];
        if (hasPublishers && settings.mode !== 'create') {
          errors.push(
            "publisherAccountIds/publisherOrgId apply to a created bus; manage an imported bus's policy where it is owned",
          );
        }
        if (hasPublishers && sources.length === 0) {
          errors.push('publisherSources must list the request sources publishers may use');
        }
        return errors;
      },
    });

    if (settings.mode === 'import-by-arn') {
      this.bus = EventBus.fromEventBusArn(this, 'Bus', settings.arn);
      this.busNameOrArn = settings.arn;
      this.created = false;
      return;
    }
    if (settings.mode === 'import-by-name') {
      this.bus = EventBus.fromEventBusName(this, 'Bus', settings.name);
      this.busNameOrArn = settings.name;
      this.created = false;
      return;
    }

    const bus = new EventBus(this, 'Bus', {
      eventBusName: settings.name,
      description: 'Workspace lifecycle requests and the events of the workspace provisioner',
    });
    this.bus = bus;
    this.busNameOrArn = bus.eventBusName;
    this.created = true;

    const sourceCondition = { StringEquals: { 'events:source': [...sources] } };
    if (accounts.length > 0) {
      bus.addToResourcePolicy(
        new PolicyStatement({
          sid: 'PublisherAccountsPutRequests',
          principals: accounts.map((account) => new AccountPrincipal(account)),
          actions: ['events:PutEvents'],
          resources: [bus.eventBusArn],
          conditions: sourceCondition,
        }),
      );
    }
    if (props.publisherOrgId) {
      bus.addToResourcePolicy(
        new PolicyStatement({
          sid: 'PublisherOrganizationPutsRequests',
          principals: [new AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [bus.eventBusArn],
          conditions: {
            StringEquals: { 'aws:PrincipalOrgID': props.publisherOrgId, 'events:source': [...sources] },
          },
        }),
      );
    }
  }
}
