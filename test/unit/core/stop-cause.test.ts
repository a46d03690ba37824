import { describe, expect, it } from 'vitest';
import { EcsTaskStateChangeDetail } from '#contracts/ecs.ts';
import { STOP_CAUSES, type StopCause } from '#contracts/names.ts';
import { neverRan, type StoppedTaskShape, stopCauseOf } from '#core/stop-cause.ts';
import {
  deprovisionStopReason,
  failedLaunchCleanUpStopReason,
  PROVISION_TIMEOUT_STOP_REASON,
  restartStopReason,
} from '#core/stop-reasons.ts';

const STARTED = '2026-11-23T10:00:30.000Z';
/** A task that ran, whose `workspace` container stopped as `container` says. */
const ran = (task: StoppedTaskShape, container: StoppedTaskShape['containers'] = []): StoppedTaskShape => ({
  startedAt: STARTED,
  containers: container,
  ...task,
});
const workspace = (exitCode?: number, reason?: string) => [
  { name: 'workspace', ...(exitCode === undefined ? {} : { exitCode }), ...(reason ? { reason } : {}) },
];

// Every row names where its stop code or text comes from. AWS documents the stop codes (the
// TaskStopCode enum, https://docs.aws.amazon.com/sdk-for-python/v4/reference/clients/ecs/enums/TaskStopCode/,
// and `stopCode` in https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html) and
// a few stopped reasons; a text AWS does not document is not made up here.
const cases: ReadonlyArray<[string, StoppedTaskShape, StopCause]> = [
  // The provisioner's own StopTask reasons come back as the stoppedReason ("the message appears in
  // subsequent DescribeTasks API operations on this task":
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html), with UserInitiated.
  [
    'a deprovision',
    ran({ stopCode: 'UserInitiated', stoppedReason: deprovisionStopReason('dep-1') }, workspace(143)),
    'requested',
  ],
  [
    'a restart',
    ran({ stopCode: 'UserInitiated', stoppedReason: restartStopReason('rst-1') }, workspace(0)),
    'requested',
  ],
  [
    "the failure reporter's clean-up of a launch it could not report",
    ran({ stopCode: 'UserInitiated', stoppedReason: failedLaunchCleanUpStopReason('req-1') }),
    'requested',
  ],
  [
    'the timeout sweep stopping a task that never reached RUNNING',
    { stopCode: 'UserInitiated', stoppedReason: PROVISION_TIMEOUT_STOP_REASON },
    'timed-out',
  ],
  // "Task stopped by user" is the stopped reason of a StopTask that gave none
  // (https://repost.aws/knowledge-center/ecs-task-stopped, "Task stopped by user").
  [
    'a UserInitiated stop by someone else (the console default reason)',
    ran({ stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' }, workspace(143)),
    'requested',
  ],
  [
    'a UserInitiated stop by someone else before the task ran',
    { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' },
    'requested',
  ],
  // Fargate Spot: "The warning is sent as a task state change event to Amazon EventBridge"
  // (https://repost.aws/knowledge-center/fargate-spot-termination-notice); codes SpotInterruption
  // and TerminationNotice (TaskStopCode). InfrastructureHealth is in the same enum.
  ['a Fargate Spot interruption', ran({ stopCode: 'SpotInterruption' }, workspace(143)), 'infrastructure'],
  ['a Spot termination notice', ran({ stopCode: 'TerminationNotice' }, workspace(0)), 'infrastructure'],
  ['an unhealthy host', ran({ stopCode: 'InfrastructureHealth' }), 'infrastructure'],
  // "The stoppedReason containing a ECS is performing maintenance on the underlying infrastructure
  // hosting the task message indicates that the task was stopped due to a task maintenance issue";
  // for standalone tasks "Amazon ECS doesn't launch a replacement task"
  // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-maintenance.html). The page
  // names no stop code for it, so the text decides whatever the code.
  [
    'Fargate task retirement (maintenance stopped reason, no stop code)',
    ran({ stoppedReason: 'ECS is performing maintenance on the underlying infrastructure hosting the task' }),
    'infrastructure',
  ],
  [
    'Fargate task retirement with a UserInitiated code',
    ran({
      stopCode: 'UserInitiated',
      stoppedReason: 'ECS is performing maintenance on the underlying infrastructure hosting the task',
    }),
    'infrastructure',
  ],
  [
    'Fargate task retirement with ServiceSchedulerInitiated',
    ran({
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'ECS is performing maintenance on the underlying infrastructure hosting the task',
    }),
    'infrastructure',
  ],
  ['a stop by an ECS service scheduler', ran({ stopCode: 'ServiceSchedulerInitiated' }), 'infrastructure'],
  // TaskFailedToStart (TaskStopCode); the CannotPullContainerError prefix is in "Stopped tasks error
  // codes" (https://docs.aws.amazon.com/AmazonECS/latest/userguide/stopped-task-error-codes.html).
  [
    'TaskFailedToStart',
    { stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: <reason>' },
    'failed-to-start',
  ],
  [
    'an essential container that exited before the task ever started',
    { stopCode: 'EssentialContainerExited', containers: workspace(1) },
    'failed-to-start',
  ],
  // "OutOfMemoryError: Container killed due to memory usage" on the container
  // (https://repost.aws/knowledge-center/ecs-resolve-outofmemory-errors; "Container killed due to
  // memory usage" in https://docs.aws.amazon.com/AmazonECS/latest/developerguide/out-of-memory.html);
  // the task itself stops with EssentialContainerExited, whose stopped reason is "Essential
  // container in task exited" (https://repost.aws/knowledge-center/ecs-task-stopped).
  [
    'OutOfMemoryError on the workspace container',
    ran(
      { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' },
      workspace(137, 'OutOfMemoryError: Container killed due to memory usage'),
    ),
    'out-of-memory',
  ],
  [
    'OutOfMemoryError in the stopped reason',
    ran(
      {
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'OutOfMemoryError: Container killed due to memory usage',
      },
      workspace(137),
    ),
    'out-of-memory',
  ],
  [
    'exit 137 with an out-of-memory reason on the workspace container',
    ran({ stopCode: 'EssentialContainerExited' }, workspace(137, 'OOMKilled')),
    'out-of-memory',
  ],
  // Exit 137 alone is any SIGKILL (a stop that outlived its stop timeout too), not proof of OOM.
  [
    'exit 137 with no memory reason',
    ran({ stopCode: 'EssentialContainerExited' }, workspace(137)),
    'crashed',
  ],
  [
    'another container out of memory while the workspace exited by itself',
    ran({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, [
      { name: 'sidecar', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
      { name: 'workspace', exitCode: 1 },
    ]),
    'crashed',
  ],
  [
    'the workspace exiting by itself with an error',
    ran(
      { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' },
      workspace(1),
    ),
    'crashed',
  ],
  [
    'the workspace exiting by itself with 0',
    ran(
      { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' },
      workspace(0),
    ),
    'crashed',
  ],
  ['a task that ran and stopped with no stop code', ran({}, workspace(2)), 'crashed'],
  ['a stop code ECS adds later', ran({ stopCode: 'SomethingNew' }), 'crashed'],
  // Our own texts count only from a caller of StopTask: the same words under an ECS stop code are not ours.
  [
    'a deprovision-like reason under EssentialContainerExited',
    ran(
      { stopCode: 'EssentialContainerExited', stoppedReason: deprovisionStopReason('dep-1') },
      workspace(1),
    ),
    'crashed',
  ],
];

describe('stopCauseOf', () => {
  it.each(cases)('reads %s as %s', (_name, task, cause) => {
    expect(stopCauseOf(task)).toBe(cause);
  });

  it('gives every cause of the contract for some documented stop', () => {
    const given = new Set(cases.map(([, task]) => stopCauseOf(task)));
    expect([...given].sort()).toEqual([...STOP_CAUSES].sort());
  });

  it('reads a task state change event as ECS delivers it', () => {
    // Shape: the example "Task state change event" of
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html, stopped.
    const detail = EcsTaskStateChangeDetail.parse({
      clusterArn: 'arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster',
      taskArn: 'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      version: 6,
      startedAt: '2020-01-23T17:57:58.103Z',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [
        {
          containerArn: 'arn:aws:ecs:us-west-2:111122223333:container/cf159fd6-3e3f-4a9e-84f9-66cbe726af01',
          lastStatus: 'STOPPED',
          name: 'workspace',
          exitCode: 137,
          reason: 'OutOfMemoryError: Container killed due to memory usage',
        },
      ],
    });
    expect(stopCauseOf(detail)).toBe('out-of-memory');
  });
});

describe('neverRan', () => {
  it.each([
    [{ stopCode: 'TaskFailedToStart', startedAt: STARTED }, true],
    [{ stopCode: 'EssentialContainerExited' }, true],
    [{}, true],
    [{ stopCode: 'EssentialContainerExited', startedAt: STARTED }, false],
    [{ stopCode: 'UserInitiated' }, false],
    [{ stopCode: 'ServiceSchedulerInitiated' }, false],
  ])('says %j never ran: %s', (task, expected) => {
    expect(neverRan(task)).toBe(expected);
  });
});
