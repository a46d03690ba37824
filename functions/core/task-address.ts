/**
 * Where a workspace can be reached (v1.1 `Workspace Running`): the task's private IPv4 address from
 * its network attachment, and the `workspace` container's port. Reads the shape ECS gives in both a
 * task state change and DescribeTasks, so either answers it.
 */
import { CONTAINER_NAME } from '#contracts/names.ts';

/** The parts of an ECS task the address is read from. */
export interface AddressedTask {
  readonly attachments?:
    | ReadonlyArray<{
        readonly type?: string | undefined;
        readonly status?: string | undefined;
        readonly details?:
          | ReadonlyArray<{ readonly name?: string | undefined; readonly value?: string | undefined }>
          | undefined;
      }>
    | undefined;
  readonly containers?:
    | ReadonlyArray<{
        readonly name?: string | undefined;
        readonly networkBindings?: ReadonlyArray<{ readonly hostPort?: number | undefined }> | undefined;
      }>
    | undefined;
}

/** The address fields of `Workspace Running`. */
export interface TaskAddress {
  readonly privateIpv4Address: string;
  readonly port: number;
  readonly url: string;
}

/**
 * ECS names the awsvpc interface attachment `ElasticNetworkInterface` in DescribeTasks and task
 * state changes; `eni` is accepted too (the name the ENI's own id carries).
 */
const NETWORK_ATTACHMENT_TYPES: ReadonlySet<string> = new Set(['ElasticNetworkInterface', 'eni']);
/** The attachment detail that holds the address, as ECS spells it. */
export const PRIVATE_IPV4_DETAIL = 'privateIPv4Address';

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

/** The task's private IPv4 address, when its network attachment has one. */
export function privateIpv4Of(task: AddressedTask): string | undefined {
  for (const attachment of task.attachments ?? []) {
    if (!NETWORK_ATTACHMENT_TYPES.has(attachment.type ?? '')) continue;
    const value = attachment.details?.find((detail) => detail.name === PRIVATE_IPV4_DETAIL)?.value;
    if (value && IPV4.test(value)) return value;
  }
  return undefined;
}

/**
 * The task's address: its private IPv4 address and the `workspace` container's port (the host port
 * ECS reports bound, where it reports one, else the runtime's `containerPort`, which awsvpc exposes
 * on the task's own address). Undefined while the task has no address.
 */
export function taskAddress(task: AddressedTask, containerPort: number): TaskAddress | undefined {
  const privateIpv4Address = privateIpv4Of(task);
  if (!privateIpv4Address) return undefined;
  const bound = task.containers
    ?.find((container) => container.name === CONTAINER_NAME)
    ?.networkBindings?.find((binding) => binding.hostPort !== undefined && binding.hostPort > 0)?.hostPort;
  const port = bound ?? containerPort;
  return { privateIpv4Address, port, url: `http://${privateIpv4Address}:${port}` };
}
