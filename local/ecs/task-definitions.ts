/**
 * A task definition the emulator knows, revision 1 of its family. The local stack registers one per
 * catalog runtime (`workspace-<runtime>`, container `workspace`), each with the boot step
 * (`wiring/boot-step.ts`) and the `workspace-data` volume (`configuredAtLaunch`) as CDK declares them.
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

/**
 * The task definition's volume `configuredAtLaunch` (v1.3): RunTask's `volumeConfigurations` may
 * name it to give the task a managed EBS volume, mounted on the essential container at `mountPath`.
 * A task run without a volume configuration has none (an ephemeral workspace).
 */
export interface LocalDataVolume {
  /** The volume's name in the task definition (`workspace-data`). */
  readonly name: string;
  /** Where the essential container mounts it (the runtime's data path, `/workspace`). */
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
  /** The volume `configuredAtLaunch`. @default none: RunTask refuses every volume configuration */
  readonly dataVolume?: LocalDataVolume;
}

/** Only revision 1 of each family exists locally. */
export const TASK_DEFINITION_REVISION = 1;

/** The names of a definition's containers, the essential one first. */
export const containerNamesOf = (definition: EcsTaskDefinition): string[] =>
  definition.bootStep
    ? [definition.containerName, definition.bootStep.containerName]
    : [definition.containerName];
