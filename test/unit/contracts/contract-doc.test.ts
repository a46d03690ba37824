import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DETAIL_TYPES,
  ECS_TASK_PATCHING_RETIREMENT,
  HEALTH_EVENT,
  HEALTH_SOURCE,
  ORPHAN_REASONS,
  RECOVERY_CAUSES,
  RECOVERY_MODES,
  RESTART_FAILURE_CODES,
  WORKSPACE_STATES,
} from '#contracts/names.ts';

/** docs/CONTRACT.md names every public detail-type and every value of the v1.2 enums, in backticks. */
const contract = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'CONTRACT.md'), 'utf8');

describe('docs/CONTRACT.md', () => {
  it.each(Object.values(DETAIL_TYPES))('documents the detail-type %s', (detailType) => {
    expect(contract).toContain(`\`${detailType}\``);
  });

  it.each([
    ...RECOVERY_MODES,
    ...RECOVERY_CAUSES,
    ...WORKSPACE_STATES,
    ...RESTART_FAILURE_CODES,
    ...ORPHAN_REASONS,
    HEALTH_SOURCE,
    HEALTH_EVENT,
    ECS_TASK_PATCHING_RETIREMENT,
  ])('documents the v1.2 value %s', (value) => {
    // A code as `CODE`, a JSON string value as `"value"`.
    const named = contract.includes(`\`${value}\``) || contract.includes(`\`"${value}"\``);
    expect(named, `docs/CONTRACT.md does not name ${value}`).toBe(true);
  });
});
