import type { ParsedResultError } from '@aws-lambda-powertools/parser/types';
import { requestIdField, workspaceIdField } from '#contracts/fields.ts';
import type { FieldError, ProvisionRejectedDetail } from '#contracts/outbound.ts';

/** A message longer than this is cut, so one odd field cannot bloat the event. */
const MESSAGE_MAX = 300;
/** At most this many field errors are reported; the rest are summarised in one. */
const ERRORS_MAX = 50;

interface IssueLike {
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
  readonly message?: string;
  readonly code?: string;
  readonly keys?: readonly string[];
}

const segment = (part: PropertyKey | { readonly key: PropertyKey }): string =>
  typeof part === 'object' && part !== null ? String(part.key) : String(part);

/** The issues inside Powertools' ParseError: a ZodError's `issues`, or Standard Schema issues. */
const issuesOf = (error: unknown): IssueLike[] => {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (Array.isArray(cause)) return cause as IssueLike[];
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as IssueLike[]) : [];
};

/**
 * Field-level errors from a failed parse of an EventBridge event. Paths are relative to `detail`
 * (`runtime`, `env.FOO`); `(root)` is the detail itself; envelope fields are `envelope.<field>`.
 * Each unknown field is its own error. Messages come from the contract (they name fields and
 * rules, never a field's value).
 */
export function fieldErrorsOf(error: unknown): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issuesOf(error)) {
    const path = (issue.path ?? []).map(segment);
    const message = (issue.message ?? 'is invalid').slice(0, MESSAGE_MAX);
    if (path[0] !== 'detail') {
      errors.push({ path: path.length > 0 ? `envelope.${path.join('.')}` : 'envelope', message });
      continue;
    }
    const inDetail = path.slice(1);
    if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
      for (const key of issue.keys) {
        errors.push({ path: [...inDetail, key].join('.'), message: `${key} is not a field of this request` });
      }
      continue;
    }
    errors.push({ path: inDetail.length > 0 ? inDetail.join('.') : '(root)', message });
  }
  if (errors.length === 0) errors.push({ path: '(root)', message: 'the event could not be parsed' });
  if (errors.length > ERRORS_MAX) {
    const extra = errors.length - ERRORS_MAX + 1;
    return [...errors.slice(0, ERRORS_MAX - 1), { path: '(root)', message: `${extra} more errors` }];
  }
  return errors;
}

const readable = (detail: unknown, key: string, field: typeof requestIdField): string | undefined => {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const parsed = field.safeParse((detail as Record<string, unknown>)[key]);
  return parsed.success ? parsed.data : undefined;
};

/**
 * The `Workspace Provision Rejected` detail for an event that failed its contract: the envelope id
 * and detail-type, `requestId` and `workspaceId` where they are readable, and the field errors.
 */
export function rejectionOf(
  failure: ParsedResultError<unknown>,
  expectedDetailType: string,
): ProvisionRejectedDetail {
  const raw = (
    typeof failure.originalEvent === 'object' && failure.originalEvent !== null ? failure.originalEvent : {}
  ) as Record<string, unknown>;
  const requestId = readable(raw.detail, 'requestId', requestIdField);
  const workspaceId = readable(raw.detail, 'workspaceId', workspaceIdField);
  return {
    ...(requestId ? { requestId } : {}),
    ...(workspaceId ? { workspaceId } : {}),
    rejectedEventId: typeof raw.id === 'string' && raw.id.length > 0 ? raw.id : 'unknown',
    rejectedDetailType: typeof raw['detail-type'] === 'string' ? raw['detail-type'] : expectedDetailType,
    errors: fieldErrorsOf(failure.error),
  };
}
