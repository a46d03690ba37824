/**
 * The flexible checksums S3 takes in `x-amz-checksum-<algorithm>` headers and trailers
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html): CRC32,
 * CRC32C, CRC64NVME, SHA1 and SHA256, each the base64 of the big-endian digest. Recent SDKs send
 * CRC32 by default, so every PutObject carries one.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The algorithms, by the lower-case name their header carries. */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** The header (or trailer) name of an algorithm. */
export const checksumHeader = (algorithm: ChecksumAlgorithm): string => `x-amz-checksum-${algorithm}`;

/** The algorithm a `x-amz-checksum-*` name stands for, or undefined. */
export function checksumAlgorithmOf(name: string): ChecksumAlgorithm | undefined {
  const algorithm = name.toLowerCase().replace(/^x-amz-checksum-/, '');
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)
    ? (algorithm as ChecksumAlgorithm)
    : undefined;
}

function reflectedTable(polynomial: bigint, width: number): bigint[] {
  const mask = (1n << BigInt(width)) - 1n;
  return Array.from({ length: 256 }, (_, index) => {
    let value = BigInt(index);
    for (let bit = 0; bit < 8; bit += 1) value = value & 1n ? (value >> 1n) ^ polynomial : value >> 1n;
    return value & mask;
  });
}

/** CRC-32C (Castagnoli), reflected polynomial 0x82F63B78. */
const CRC32C_TABLE = Uint32Array.from(reflectedTable(0x82f63b78n, 32), Number);
function crc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-64/NVME, reflected polynomial 0x9A6C9329AC4BC9B5, kept as two 32-bit halves for speed. */
const CRC64_TABLE = reflectedTable(0x9a6c9329ac4bc9b5n, 64);
const CRC64_HIGH = Uint32Array.from(CRC64_TABLE, (value) => Number(value >> 32n));
const CRC64_LOW = Uint32Array.from(CRC64_TABLE, (value) => Number(value & 0xffffffffn));
function crc64nvme(data: Buffer): Buffer {
  let high = 0xffffffff;
  let low = 0xffffffff;
  for (const byte of data) {
    const index = (low ^ byte) & 0xff;
    const shiftedLow = ((low >>> 8) | (high << 24)) >>> 0;
    const shiftedHigh = high >>> 8;
    low = (shiftedLow ^ (CRC64_LOW[index] as number)) >>> 0;
    high = (shiftedHigh ^ (CRC64_HIGH[index] as number)) >>> 0;
  }
  const digest = Buffer.alloc(8);
  digest.writeUInt32BE((high ^ 0xffffffff) >>> 0, 0);
  digest.writeUInt32BE((low ^ 0xffffffff) >>> 0, 4);
  return digest;
}

const uint32 = (value: number): Buffer => {
  const digest = Buffer.alloc(4);
  digest.writeUInt32BE(value >>> 0, 0);
  return digest;
};

/** The base64 checksum of `data` as S3 writes it in `x-amz-checksum-<algorithm>`. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  switch (algorithm) {
    case 'crc32':
      return uint32(crc32(data)).toString('base64');
    case 'crc32c':
      return uint32(crc32c(data)).toString('base64');
    case 'crc64nvme':
      return crc64nvme(data).toString('base64');
    case 'sha1':
      return createHash('sha1').update(data).digest('base64');
    case 'sha256':
      return createHash('sha256').update(data).digest('base64');
  }
}

/** How S3 names an algorithm in messages (`CRC32`, `SHA256`). */
export const checksumLabel = (algorithm: ChecksumAlgorithm): string => algorithm.toUpperCase();
