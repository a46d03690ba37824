/**
 * The workspace-files port: what the functions ask of the workspace files bucket (decision 018).
 * `adapters/s3-workspace-files.ts` implements it with S3. A secrets file is only ever asked about
 * with {@link WorkspaceFiles.exists}, which lists its exact key: the functions hold `s3:ListBucket`
 * and never read a secret.
 */

/** The workspace files bucket, by key (keys from `core/workspace-files.ts` only). */
export interface WorkspaceFiles {
  /** Whether an object exists at exactly `key`, answered by listing, never by reading it. */
  exists(key: string): Promise<boolean>;
  /** Every key under `prefix`, across all pages. */
  list(prefix: string): Promise<string[]>;
  /** An object's bytes. Never called on a secrets key. */
  get(key: string): Promise<Buffer>;
  put(key: string, body: Buffer | string): Promise<void>;
}
