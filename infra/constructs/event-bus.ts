import { Annotations } from 'aws-cdk-lib';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import {
  AccountPrincipal,
  AnyPrincipal,
  Effect,
  Grant,
  type IGrantable,
  type IRole,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
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

/** Sid of the statement that reserves the provisioner's source. */
export const RESERVED_SOURCE_SID = 'OnlyProvisionerFunctionsUseProvisionerSource';

/**
 * The `workspaces` bus (or an imported one), with an optional publisher resource policy and the
 * statement that keeps the provisioner's own source for the provisioner's functions.
 */
export class WorkspaceEventBus extends Construct {
  readonly bus: IEventBus;
  /** What handlers pass to PutEvents: the bus name, or the ARN of a bus imported by ARN. */
  readonly busNameOrArn: string;
  /** Whether this stack created the bus. */
  readonly created: boolean;
  private readonly createdBus?: EventBus;

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
    this.createdBus = bus;
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

  /**
   * `events:PutEvents` on this bus, only with `source` as the event source. Condition keys: see
   * `reserveSource`.
   */
  grantPutEventsAs(grantee: IGrantable, source: string): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [this.bus.eventBusArn],
      conditions: { StringEquals: { 'events:source': source } },
    });
  }

  /**
   * The statement that denies `events:PutEvents` with `source` to every principal but `roles`.
   * `events:source` is the Source of the entry being put (EventBridge condition keys,
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html), and
   * `aws:PrincipalArn` is, for a Lambda function's assumed-role session, the ARN of the role itself
   * (IAM global condition keys,
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
   * An explicit deny in a resource policy wins over any allow, in this account or another.
   */
  reservedSourceStatement(source: string, roleArns: readonly string[]): PolicyStatement {
    return new PolicyStatement({
      sid: RESERVED_SOURCE_SID,
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['events:PutEvents'],
      resources: [this.bus.eventBusArn],
      conditions: {
        StringEquals: { 'events:source': source },
        ArnNotEquals: { 'aws:PrincipalArn': [...roleArns] },
      },
    });
  }

  /**
   * Reserves `source` for `roles`: on the created bus, as a statement of its resource policy; on an
   * imported bus, whose policy this stack does not own, as a synth warning that prints the statement
   * to add where that bus is managed (the role ARNs are in the `FunctionRoleArns` output).
   */
  reserveSource(source: string, roles: readonly IRole[]): void {
    if (this.createdBus) {
      this.createdBus.addToResourcePolicy(
        this.reservedSourceStatement(
          source,
          roles.map((role) => role.roleArn),
        ),
      );
      return;
    }
    const statement = {
      Sid: RESERVED_SOURCE_SID,
      Effect: 'Deny',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: this.busNameOrArn.startsWith('arn:')
        ? this.busNameOrArn
        : `arn:aws:events:<region>:<account>:event-bus/${this.busNameOrArn}`,
      Condition: {
        StringEquals: { 'events:source': source },
        ArnNotEquals: { 'aws:PrincipalArn': ['<each ARN of the FunctionRoleArns stack output>'] },
      },
    };
    Annotations.of(this).addWarningV2(
      'workspace-provisioner:reserve-provisioner-source',
      `The imported bus ${this.busNameOrArn} does not reserve the source "${source}": anyone allowed to put events on it can forge the provisioner's events. Add this statement to the bus's resource policy where the bus is managed, with the role ARNs from the FunctionRoleArns output after deploy:\n${JSON.stringify(statement, null, 2)}`,
    );
  }
}
