/**
 * The `aws-chunked` content encoding the SDKs use for a streamed upload with a trailing checksum
 * (`x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`, or a signed variant): the payload as
 * `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` chunks, a zero-size chunk, then trailer lines
 * `<name>:<value>\r\n` (the checksum, and `x-amz-trailer-signature` when signed) and a blank line
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html).
 */
import { AwsChunkedDecodingError } from './errors.ts';

/** A decoded body: the payload and the trailers by lower-case name. */
export interface DecodedChunks {
  readonly payload: Buffer;
  readonly trailers: ReadonlyMap<string, string>;
}

const CRLF = Buffer.from('\r\n');

/**
 * Decodes an aws-chunked body.
 *
 * @throws AwsChunkedDecodingError when the body is not aws-chunked.
 */
export function decodeAwsChunked(body: Buffer): DecodedChunks {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf(CRLF, offset);
    if (lineEnd < 0) throw new AwsChunkedDecodingError('a chunk header is not terminated');
    const header = body.subarray(offset, lineEnd).toString('latin1');
    const sizeText = header.split(';', 1)[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) {
      throw new AwsChunkedDecodingError(`"${header.slice(0, 40)}" is not a chunk size`);
    }
    const size = Number.parseInt(sizeText, 16);
    offset = lineEnd + CRLF.length;
    if (size === 0) break;
    if (
      offset + size + CRLF.length > body.length ||
      !body.subarray(offset + size, offset + size + 2).equals(CRLF)
    ) {
      throw new AwsChunkedDecodingError('a chunk is shorter than its size');
    }
    parts.push(body.subarray(offset, offset + size));
    offset += size + CRLF.length;
  }
  const trailers = new Map<string, string>();
  for (const line of body.subarray(offset).toString('latin1').split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new AwsChunkedDecodingError(`"${line.slice(0, 40)}" is not a trailer`);
    trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { payload: Buffer.concat(parts), trailers };
}
