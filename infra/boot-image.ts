/**
 * The `bootImage` deploy option. The boot step writes every workspace's `/configs`, so its image is
 * pinned by digest: a tag can be moved to other code by whoever controls the repository.
 */

/** `<repository>[:tag]@sha256:<64 hex digits>`: a reference that names exactly one image. */
const DIGEST_REFERENCE = /^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$/;

/**
 * Why a boot image reference is refused, or undefined when it is pinned by digest.
 *
 * @example bootImageProblem('busybox:1.36.1') // 'is not pinned by digest: …'
 */
export function bootImageProblem(image: string): string | undefined {
  if (DIGEST_REFERENCE.test(image)) return undefined;
  if (image.includes('@')) {
    return `must end in "@sha256:" and 64 lower-case hex digits; got "${image}"`;
  }
  return `must be pinned by digest, like "public.ecr.aws/docker/library/busybox@sha256:<64 hex digits>"; got "${image}", a tag, which can be moved to other code (the boot step writes every workspace's /configs)`;
}
