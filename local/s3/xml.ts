/** The XML S3 answers in: escaping, the `<Error>` document and the `ListBucketResult` of ListObjectsV2. */

/** The namespace of S3's documents. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Escapes text for an XML element; control characters become numeric references, as S3 writes them. */
export function xmlText(value: string): string {
  let escaped = '';
  for (const character of value) {
    const code = character.codePointAt(0) as number;
    if (character === '&') escaped += '&amp;';
    else if (character === '<') escaped += '&lt;';
    else if (character === '>') escaped += '&gt;';
    else if (character === '"') escaped += '&quot;';
    else if (character === "'") escaped += '&apos;';
    else if (code < 0x20 && character !== '\n' && character !== '\t') escaped += `&#${code};`;
    else escaped += character;
  }
  return escaped;
}

const element = (name: string, value: string | number | boolean): string =>
  `<${name}>${xmlText(String(value))}</${name}>`;

/** `<Error>` with its code, message, extra elements and the request id, as S3 writes it. */
export function errorDocument(
  code: string,
  message: string,
  fields: Readonly<Record<string, string>>,
  requestId: string,
): string {
  const extra = Object.entries(fields)
    .map(([name, value]) => element(name, value))
    .join('');
  return `${DECLARATION}<Error>${element('Code', code)}${element('Message', message)}${extra}${element('RequestId', requestId)}${element('HostId', requestId)}</Error>`;
}

/** One object of a listing. */
export interface ListedObject {
  readonly key: string;
  readonly lastModified: number;
  readonly etag: string;
  readonly size: number;
}

/** What a ListObjectsV2 page holds. */
export interface ListPage {
  readonly bucket: string;
  readonly prefix: string;
  readonly delimiter?: string;
  readonly maxKeys: number;
  readonly startAfter?: string;
  readonly continuationToken?: string;
  readonly nextContinuationToken?: string;
  readonly encodingType?: 'url';
  readonly contents: readonly ListedObject[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
}

/** Key-like values in a listing with `encoding-type=url`: URL-encoded, `/` kept. */
const encodeKey = (value: string, encoding: 'url' | undefined): string =>
  encoding === 'url' ? encodeURIComponent(value).replace(/%2F/g, '/') : value;

/** The `ListBucketResult` document of a ListObjectsV2 page. */
export function listBucketResult(page: ListPage): string {
  const encode = (value: string) => encodeKey(value, page.encodingType);
  const parts: string[] = [
    element('Name', page.bucket),
    element('Prefix', encode(page.prefix)),
    element('KeyCount', page.contents.length + page.commonPrefixes.length),
    element('MaxKeys', page.maxKeys),
  ];
  if (page.delimiter !== undefined) parts.push(element('Delimiter', encode(page.delimiter)));
  parts.push(element('IsTruncated', page.isTruncated));
  for (const object of page.contents) {
    parts.push(
      `<Contents>${element('Key', encode(object.key))}${element('LastModified', new Date(object.lastModified).toISOString())}${element('ETag', object.etag)}${element('Size', object.size)}${element('StorageClass', 'STANDARD')}</Contents>`,
    );
  }
  for (const prefix of page.commonPrefixes) {
    parts.push(`<CommonPrefixes>${element('Prefix', encode(prefix))}</CommonPrefixes>`);
  }
  if (page.encodingType !== undefined) parts.push(element('EncodingType', page.encodingType));
  if (page.continuationToken !== undefined) parts.push(element('ContinuationToken', page.continuationToken));
  if (page.nextContinuationToken !== undefined) {
    parts.push(element('NextContinuationToken', page.nextContinuationToken));
  }
  if (page.startAfter !== undefined) parts.push(element('StartAfter', encode(page.startAfter)));
  return `${DECLARATION}<ListBucketResult xmlns="${S3_XMLNS}">${parts.join('')}</ListBucketResult>`;
}
