import * as z from 'zod';
import {
  envField,
  eraseField,
  kindField,
  orgIdField,
  recoveryField,
  requestIdField,
  requestReasonField,
  runtimeField,
  secretsField,
  storageField,
  templateField,
  tierField,
  workspaceIdField,
} from './fields.ts';
import { DEFAULT_KIND, DEFAULT_RECOVERY, DEFAULT_TIER, PLATFORM_SECRET_SCOPE } from './names.ts';

/** v1.1: the message of a `platform` scope on a request of another kind. */
export const PLATFORM_SECRETS_MESSAGE = `secrets scope "${PLATFORM_SECRET_SCOPE}" (the org-admin credential) is for kind platform only`;

/**
 * `detail` of `Workspace Provision Requested`. Strict: an unknown field is refused, so a typo
 * never passes silently.
 */
export const ProvisionRequestedDetail = z
  .strictObject(
    {
      requestId: requestIdField,
      workspaceId: workspaceIdField,
      orgId: orgIdField,
      runtime: runtimeField,
      kind: kindField.default(DEFAULT_KIND),
      tier: tierField.default(DEFAULT_TIER),
      template: templateField.optional(),
      env: envField.optional(),
      secrets: secretsField.optional(),
      /** v1.2: relaunch the workspace when it stops by itself (`on-failure`, the default) or not. */
      recovery: recoveryField.default(DEFAULT_RECOVERY),
      /** v1.3: persistent data (`{"persistent": true, "sizeGiB": N}`); ephemeral without it. */
      storage: storageField.optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'detail must be an object') },
  )
  .superRefine((request, context) => {
    if (request.kind !== 'platform' && request.secrets?.includes(PLATFORM_SECRET_SCOPE)) {
      context.addIssue({ code: 'custom', path: ['secrets'], message: PLATFORM_SECRETS_MESSAGE });
    }
  })
  // The same rule in JSON Schema: a request that lists `platform` in secrets must be kind platform
  // (kind's default, workspace, is not platform, so kind is then required).
  .meta({
    if: {
      required: ['secrets'],
      properties: { secrets: { type: 'array', contains: { const: PLATFORM_SECRET_SCOPE } } },
    },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, never awaited
    then: { required: ['kind'], properties: { kind: { const: 'platform' } } },
  });
export type ProvisionRequestedDetail = z.output<typeof ProvisionRequestedDetail>;
export type ProvisionRequestedInput = z.input<typeof ProvisionRequestedDetail>;

/** Strict objects answer a non-object with one message and keep zod's own for unknown keys. */
const detailObjectError = {
  error: (issue: { code?: string }) =>
    issue.code === 'unrecognized_keys' ? undefined : 'detail must be an object',
};

/** `detail` of `Workspace Deprovision Requested`. */
export const DeprovisionRequestedDetail = z.strictObject(
  {
    requestId: requestIdField,
    workspaceId: workspaceIdField,
    reason: requestReasonField.optional(),
    /** v1.3: also delete the workspace's data (every snapshot and volume); kept without it. */
    erase: eraseField.optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'detail must be an object') },
);
export type DeprovisionRequestedDetail = z.output<typeof DeprovisionRequestedDetail>;

/**
 * v1.1: `detail` of `Workspace Template Assets Staged`, from upstream's template asset channel.
 * A reference only: the provisioner acts on the request it recorded under `requestId`, never on
 * anything else an event says.
 */
export const TemplateAssetsStagedDetail = z.strictObject(
  {
    requestId: requestIdField,
    workspaceId: workspaceIdField,
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'detail must be an object') },
);
export type TemplateAssetsStagedDetail = z.output<typeof TemplateAssetsStagedDetail>;

/**
 * v1.2: `detail` of `Workspace Restart Requested`. Idempotent per `requestId`; the workspace is
 * relaunched with the provision request the provisioner recorded for it, never with anything this
 * event says.
 */
export const RestartRequestedDetail = z.strictObject(
  {
    requestId: requestIdField,
    workspaceId: workspaceIdField,
    reason: requestReasonField.optional(),
  },
  detailObjectError,
);
export type RestartRequestedDetail = z.output<typeof RestartRequestedDetail>;

/** v1.2: `detail` of `Workspace Status Requested`, answered by `Workspace Status`. */
export const StatusRequestedDetail = z.strictObject(
  {
    requestId: requestIdField,
    workspaceId: workspaceIdField,
  },
  detailObjectError,
);
export type StatusRequestedDetail = z.output<typeof StatusRequestedDetail>;
