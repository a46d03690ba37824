/**
 * A task definition the emulator knows, revision 1 of its family. The local stack registers one per
 * catalog runtime (`workspace-<runtime>`, container `workspace`).
 */
export interface EcsTaskDefinition {
  readonly family: string;
  /** The image the `docker` driver runs; reported in the task's container. */
  readonly image: string;
  readonly containerName: string;
  /** argv the `process` driver runs instead of the stand-in workspace. */
  readonly localCommand?: readonly string[];
  /** The port the workspace listens on inside its container. */
  readonly containerPort: number;
  /** Task-level cpu units when RunTask overrides none. @default 256 */
  readonly cpu?: number;
  /** Task-level memory (MiB) when RunTask overrides none. @default 512 */
  readonly memory?: number;
}

/** Only revision 1 of each family exists locally. */
export const TASK_DEFINITION_REVISION = 1;
