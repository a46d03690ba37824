import * as z from 'zod';
import {
  envField,
  kindField,
  orgIdField,
  requestIdField,
  runtimeField,
  templateField,
  tierField,
  workspaceIdField,
} from './fields.ts';
import { DEFAULT_KIND, DEFAULT_TIER } from './names.ts';

/**
 * `detail` of `Workspace Provision Requested`. Strict: an unknown field is refused, so a typo
 * never passes silently.
 */
export const ProvisionRequestedDetail = z.strictObject(
  {
    requestId: requestIdField,
    workspaceId: workspaceIdField,
    orgId: orgIdField,
    runtime: runtimeField,
    kind: kindField.default(DEFAULT_KIND),
    tier: tierField.default(DEFAULT_TIER),
    template: templateField.optional(),
    env: envField.optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'detail must be an object') },
);
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
