/**
 * What the ECS agent does with a container's `environmentFiles` before any container starts: it
 * downloads each S3 object with the task execution role and hands the variables to the container
 * runtime, files in order, a later file winning for the same name, the container's own
 * `environment` winning over every file (ECS API Reference, EnvironmentFile). A file it cannot
 * download fails the task before it runs: `ResourceInitializationError: failed to download env
 * files: ...`, the shape ECS writes in the stopped reason (for example
 * `ResourceInitializationError: failed to download env files: file download command: non-empty
 * error stream: failed to download file 1.env: ...`, quoted in aws/aws-cdk#12720).
 */
import { parseEnvFile } from '#core/boot-bundle.ts';
import { parseS3ObjectArn } from '#core/workspace-files.ts';

/** Where env files are read from: the local S3 objects (`local/s3/object-store.ts` has this shape). */
export interface EnvFileSource {
  get(bucket: string, key: string): { readonly body: Buffer } | undefined;
}

/** The stopped reason's prefix for a task whose env files could not be downloaded. */
export const ENV_FILES_FAILED_PREFIX = 'ResourceInitializationError: failed to download env files';

/** An env file that could not be downloaded; `message` is the task's stopped reason. */
export class EnvFileDownloadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EnvFileDownloadError';
  }
}

/**
 * Downloads the env files `arns` and merges their variables, a later file winning.
 *
 * @throws EnvFileDownloadError naming the first file that could not be downloaded and why.
 */
export function downloadEnvFiles(
  source: EnvFileSource | undefined,
  arns: readonly string[],
): Map<string, string> {
  const variables = new Map<string, string>();
  for (const arn of arns) {
    const object = parseS3ObjectArn(arn);
    const name = object?.key.split('/').at(-1) ?? arn;
    const found = object === undefined ? undefined : source?.get(object.bucket, object.key);
    if (found === undefined) {
      throw new EnvFileDownloadError(
        `${ENV_FILES_FAILED_PREFIX}: file download command: non-empty error stream: failed to download file ${name}: NoSuchKey: The specified key does not exist.`,
      );
    }
    for (const [variable, value] of parseEnvFile(found.body.toString('utf8'))) variables.set(variable, value);
  }
  return variables;
}
