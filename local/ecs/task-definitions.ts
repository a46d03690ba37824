/**
 * A task definition the emulator knows, revision 1 of its family. The local stack registers one per
 * catalog runtime (`workspace-<runtime>`, container `workspace`), each with the boot step
 * (`wiring/boot-step.ts`) as CDK declares it.
 */

/**
 * An init container the main container `dependsOn` with `SUCCESS`, writing the files of its boot
 * bundle into a task volume that both mount (decision 018). The emulator runs what the step's
 * script does (`local/ecs/boot-step.ts`) before the main container starts.
 */
export interface LocalBootStep {
  readonly containerName: string;
  /** Reported as the container's image. */
  readonly image: string;
  /** The task volume both containers mount. */
  readonly volumeName: string;
  /** Where the volume is mounted in both containers (`/configs`). */
  readonly mountPath: string;
}

export interface EcsTaskDefinition {
  readonly family: string;
  /** The image the `docker` driver runs; reported in the task's container. */
  readonly image: string;
  /** The essential (workspace) container. */
  readonly containerName: string;
  /** argv the `process` driver runs instead of the stand-in workspace. */
  readonly localCommand?: readonly string[];
  /** The port the workspace listens on inside its container. */
  readonly containerPort: number;
  /** Task-level cpu units when RunTask overrides none. @default 256 */
  readonly cpu?: number;
  /** Task-level memory (MiB) when RunTask overrides none. @default 512 */
  readonly memory?: number;
  /** The essential container's `environment` in the task definition. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** The boot step the essential container depends on. @default none */
  readonly bootStep?: LocalBootStep;
}

/** Only revision 1 of each family exists locally. */
export const TASK_DEFINITION_REVISION = 1;

/** The names of a definition's containers, the essential one first. */
export const containerNamesOf = (definition: EcsTaskDefinition): string[] =>
  definition.bootStep
    ? [definition.containerName, definition.bootStep.containerName]
    : [definition.containerName];
