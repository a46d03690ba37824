/**
 * The boot step, run the way its BusyBox script (`wiring/boot-step.ts`) runs in the task: the boot
 * bundle from the boot container's environment is decoded by the same code the provisioner encodes
 * it with (`decodeBootVariables`, which checks every path and SHA-256 as the script does), and each
 * file is written under the task's `configs` directory. The exit code is the script's: 0 when every
 * file was written, 65 for a refused path, 66 for a file that does not match its SHA-256, 1 for a
 * bundle that cannot be read at all.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeBootVariables } from '#core/boot-bundle.ts';
import { BootBundleError, type BootBundleProblem } from '#core/errors.ts';

/** How the boot step ended. */
export interface BootStepOutcome {
  readonly exitCode: number;
  /** What the step printed last (`boot: wrote 2 files to ...`, or why it failed). */
  readonly message: string;
}

/** The script's exit codes (`wiring/boot-step.ts`). */
export const BOOT_EXIT = { refusedPath: 65, hashMismatch: 66, unreadable: 1 } as const;

const EXIT_FOR: Readonly<Record<BootBundleProblem, number>> = {
  'refused-path': BOOT_EXIT.refusedPath,
  'hash-mismatch': BOOT_EXIT.hashMismatch,
  malformed: BOOT_EXIT.unreadable,
};

/** Runs the boot step on `environment` (the boot container's variables), writing into `directory`. */
export function runBootStep(environment: ReadonlyMap<string, string>, directory: string): BootStepOutcome {
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true, mode: 0o755 });
  let files: ReturnType<typeof decodeBootVariables>;
  try {
    files = decodeBootVariables(environment);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const exitCode = error instanceof BootBundleError ? EXIT_FOR[error.problem] : BOOT_EXIT.unreadable;
    return { exitCode, message: `boot: ${message}` };
  }
  for (const file of files) {
    const target = join(directory, file.path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, file.content, { mode: 0o644 });
  }
  return { exitCode: 0, message: `boot: wrote ${files.length} files to ${directory}` };
}
