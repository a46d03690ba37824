import * as z from 'zod';
import {
  envField,
  kindField,
  orgIdField,
  requestIdField,
  runtimeField,
  secretsField,
  templateField,
  tierField,
  workspaceIdField,
} from './fields.ts';
import { DEFAULT_KIND, DEFAULT_TIER, PLATFORM_SECRET_SCOPE } from './names.ts';

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

/** `detail` of `Workspace Deprovision Requested`. */
export const DeprovisionRequestedDetail = z.strictObject(
  {
    requestId: requestIdField,
    workspaceId: workspaceIdField,
    reason: z
      .string({ error: 'reason must be a string' })
      .max(256, { error: 'reason must be at most 256 characters' })
      .optional(),
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
