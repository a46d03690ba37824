/**
 * The boot step: an init container in every workspace task definition that writes the request's
 * prepared files into the `configs` volume before the workspace container starts (decision 018).
 * The workspace container `dependsOn` it with `SUCCESS` and mounts the same volume at `/configs`.
 * Part of the wiring: CDK puts exactly this in the task definitions, and the local stack's drivers
 * do what this script does. CDK-free.
 */
import {
  BOOT_CONTAINER_NAME,
  CONFIGS_PATH,
  CONFIGS_VOLUME_NAME,
  CONTAINER_NAME,
  WORKSPACE_CONFIG_PATH_ENV,
} from '#contracts/names.ts';

/**
 * The boot step's image: BusyBox (a shell, `base64` and `sha256sum` in about 2 MB), pinned by
 * digest on ECR Public so no deploy needs Docker and no task pulls from Docker Hub's rate-limited
 * registry. Digest of `public.ecr.aws/docker/library/busybox:1.36.1`; override with
 * `-c bootImage=<image@sha256:...>`.
 */
export const DEFAULT_BOOT_IMAGE =
  'public.ecr.aws/docker/library/busybox@sha256:73aaf090f3d85aa34ee199857f03fa3a95c8ede2ffd4cc2cdb5b94e566b11662';

/**
 * The boot step's script, run by `sh -c`. It reads the boot bundle from its environment
 * (`core/boot-bundle.ts`), writes each file under `$BOOT_CONFIGS_DIR` (default `/configs`), checks
 * its SHA-256, and exits non-zero on any mismatch or unsafe path, so the workspace never starts on
 * files other than the ones prepared. Paths are checked by the provisioner too; the check here
 * keeps the step safe on its own.
 */
export const BOOT_SCRIPT = [
  'set -eu',
  'umask 022',
  `dir="\${BOOT_CONFIGS_DIR:-${CONFIGS_PATH}}"`,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
  'count="${BOOT_FILE_COUNT:-0}"',
  'i=0',
  'while [ "$i" -lt "$count" ]; do',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
  '  eval "path=\\${BOOT_FILE_${i}_PATH} sum=\\${BOOT_FILE_${i}_SHA256} chunks=\\${BOOT_FILE_${i}_CHUNKS}"',
  '  case "/$path/" in',
  '    //*|*//*|*/../*|*/./*) echo "boot: refused path $path" >&2; exit 65 ;;',
  '  esac',
  '  target="$dir/$path"',
  '  mkdir -p "$(dirname "$target")"',
  '  : > "$target.b64"',
  '  j=0',
  '  while [ "$j" -lt "$chunks" ]; do',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
  '    eval "printf \'%s\' \\"\\${BOOT_FILE_${i}_CHUNK_${j}}\\"" >> "$target.b64"',
  '    j=$((j + 1))',
  '  done',
  '  base64 -d "$target.b64" > "$target"',
  '  rm -f "$target.b64"',
  '  echo "$sum  $target" | sha256sum -c >/dev/null || { echo "boot: $path does not match its sha256" >&2; exit 66; }',
  '  i=$((i + 1))',
  'done',
  'echo "boot: wrote $count files to $dir"',
].join('\n');

/** What CDK and the local task definitions declare for the boot step and the shared volume. */
export const BOOT_STEP = {
  containerName: BOOT_CONTAINER_NAME,
  workspaceContainerName: CONTAINER_NAME,
  volumeName: CONFIGS_VOLUME_NAME,
  mountPath: CONFIGS_PATH,
  /** The workspace container waits for the boot step to exit 0. */
  dependencyCondition: 'SUCCESS',
  command: ['sh', '-c', BOOT_SCRIPT],
  /** Set on the workspace container. */
  workspaceEnvironment: { [WORKSPACE_CONFIG_PATH_ENV]: CONFIGS_PATH },
  /** Enough for a shell loop; the smallest share Fargate gives a container. */
  memoryReservationMiB: 32,
} as const;
