import { describe, expect, it } from 'vitest';
import {
  deprovisionStopReason,
  failedLaunchCleanUpStopReason,
  PROVISION_TIMEOUT_STOP_REASON,
  provisionerStopOf,
  restartStopReason,
} from '#core/stop-reasons.ts';

describe('stop reasons', () => {
  // The texts the deprovision flow, the timeout sweep and the failure reporter have always sent to
  // StopTask; operators read them in the console, so moving them here must not change them.
  it.each([
    ['deprovision', deprovisionStopReason('dep-1'), 'Workspace deprovisioned (request dep-1)'],
    [
      'failed-launch clean-up',
      failedLaunchCleanUpStopReason('req-1'),
      'Provision request req-1 failed; its launch could not be reported',
    ],
    [
      'provision timeout',
      PROVISION_TIMEOUT_STOP_REASON,
      'Workspace did not reach RUNNING within its provision timeout',
    ],
    ['restart', restartStopReason('rst-1'), 'Workspace restarted (request rst-1)'],
  ])('keeps the %s reason text', (_name, reason, text) => {
    expect(reason).toBe(text);
  });

  // StopTask keeps "up to 255 characters" of the reason
  // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html); with the
  // longest request id the contract allows (64 characters) every reason fits whole.
  it.each([deprovisionStopReason, restartStopReason, failedLaunchCleanUpStopReason])(
    'fits StopTask with the longest request id (%#)',
    (reasonFor) => {
      expect(reasonFor('r'.repeat(64)).length).toBeLessThanOrEqual(255);
    },
  );

  it.each([
    [deprovisionStopReason('dep-1'), 'deprovision'],
    [deprovisionStopReason('a.b:c_d-9'), 'deprovision'],
    [restartStopReason('rst-1'), 'restart'],
    [failedLaunchCleanUpStopReason('req-1'), 'failed-launch-clean-up'],
    [PROVISION_TIMEOUT_STOP_REASON, 'provision-timeout'],
  ])('reads %j back as the provisioner stop %s', (reason, stop) => {
    expect(provisionerStopOf(reason)).toBe(stop);
  });

  it.each([
    // ECS's default when StopTask names no reason (what the local emulator mirrors too).
    'Task stopped by user',
    'Workspace deprovisioned',
    'Workspace deprovisioned (request )',
    'Workspace deprovisioned (request dep-1) by hand',
    `${PROVISION_TIMEOUT_STOP_REASON}.`,
    'Essential container in task exited',
    '',
  ])('does not take %j for one of its own stops', (reason) => {
    expect(provisionerStopOf(reason)).toBeUndefined();
  });

  it('has nothing to read when ECS gave no reason', () => {
    expect(provisionerStopOf(undefined)).toBeUndefined();
  });
});
