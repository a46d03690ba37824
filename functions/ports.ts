/**
 * The ports every handler is built from, re-exported in one place so the local stack's imports
 * (`#functions/ports.ts`) stay stable. Each port lives in its own file under `ports/`; new code
 * imports it from there (`#ports/clock.ts`, ...).
 */
export type { Clock } from '#ports/clock.ts';
export type { EventPublisher } from '#ports/event-publisher.ts';
export type { HandlerSettings } from '#ports/handler-settings.ts';
export type { DescribedTasks, TaskListFilter, TaskRunner, TaskSummary } from '#ports/task-runner.ts';
export type { TaskVersionStore } from '#ports/task-version-store.ts';
export type { WorkspaceLaunchRecord, WorkspaceLeaseStore } from '#ports/workspace-lease-store.ts';
