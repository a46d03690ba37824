/**
 * The boot step, run the way its BusyBox script (`wiring/boot-step.ts`) runs in the task: the boot
 * bundle from the boot container's environment is decoded by the same code the provisioner encodes
 * it with (`decodeBootBundle`, which checks every path and SHA-256 as the script does), and each
 * file is written under the task's `configs` directory. The exit code is the script's: 0 when every
 * file was written, 65 for a refused path, 66 for a file that does not match its SHA-256, 1 for a
 * bundle that cannot be read at all.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeBootBundle } from '#core/boot-bundle.ts';

/** How the boot step ended. */
export interface BootStepOutcome {
  readonly exitCode: number;
  /** What the step printed last (`boot: wrote 2 files to ...`, or why it failed). */
  readonly message: string;
}

/** The script's exit codes (`wiring/boot-step.ts`). */
export const BOOT_EXIT = { refusedPath: 65, hashMismatch: 66, unreadable: 1 } as const;

/** Runs the boot step on `environment` (the boot container's variables), writing into `directory`. */
export function runBootStep(environment: ReadonlyMap<string, string>, directory: string): BootStepOutcome {
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true, mode: 0o755 });
  const bundle = [...environment].map(([name, value]) => `${name}=${value}`).join('\n');
  let files: ReturnType<typeof decodeBootBundle>;
  try {
    files = decodeBootBundle(bundle);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const exitCode = /sha256/.test(message)
      ? BOOT_EXIT.hashMismatch
      : /^path /.test(message)
        ? BOOT_EXIT.refusedPath
        : BOOT_EXIT.unreadable;
    return { exitCode, message: `boot: ${message}` };
  }
  for (const file of files) {
    const target = join(directory, file.path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, file.content, { mode: 0o644 });
  }
  return { exitCode: 0, message: `boot: wrote ${files.length} files to ${directory}` };
}
