/**
 * The MD5 digests SQS puts on each message. The JavaScript SDK checks `MD5OfBody` on every received
 * message and rejects the whole answer when one is wrong; other SDKs (Java v2) also check
 * `MD5OfMessageAttributes`.
 */
import { createHash } from 'node:crypto';

/** A message attribute as SQS stores it; only string-transported types (`String`, `Number`) here. */
export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue: string;
}

/** Lower-case hex MD5 of the body's UTF-8 bytes. */
export const md5OfBody = (body: string): string => createHash('md5').update(body, 'utf8').digest('hex');

/**
 * MD5 of the message attributes, as SQS computes it: attributes sorted by name; for each, the
 * length-prefixed (4-byte big-endian) UTF-8 name and data type, the transport byte (1 for string
 * values), then the length-prefixed value
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation).
 * Undefined when there are none: SQS leaves the field out then.
 */
export function md5OfMessageAttributes(
  attributes: Readonly<Record<string, MessageAttribute>>,
): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of names) {
    const attribute = attributes[name] as MessageAttribute;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(attribute.DataType, 'utf8'));
    parts.push(Buffer.from([1]));
    lengthPrefixed(Buffer.from(attribute.StringValue, 'utf8'));
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}
