/**
 * The XML the EC2 Query protocol answers in, as the SDK's `ec2Query` deserializer reads it (member
 * names in lower camel case, lists as `<xxxSet><item>…</item></xxxSet>`, no `…Result` wrapper;
 * EC2 API Reference, DescribeVolumes and DescribeSnapshots "Response Elements" and their examples),
 * and EC2's error document (EC2 API Reference, "Error codes for the Amazon EC2 API", example error
 * response: `<Response><Errors><Error><Code>…</Code><Message>…</Message></Error></Errors><RequestID>…`).
 */
import { xmlText } from '../s3/xml.ts';
import type { SnapshotRecord, VolumeRecord } from './records.ts';

/** The namespace of EC2's API version 2016-11-15, the one the SDK sends. */
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
/** The availability zone every local volume is in. */
export const LOCAL_AVAILABILITY_ZONE_SUFFIX = 'a';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const element = (name: string, value: string | number | boolean): string =>
  `<${name}>${xmlText(String(value))}</${name}>`;

const optional = (name: string, value: string | number | undefined): string =>
  value === undefined ? '' : element(name, value);

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

function tagSet(tags: Readonly<Record<string, string>>): string {
  const items = Object.entries(tags)
    .map(([key, value]) => `<item>${element('key', key)}${element('value', value)}</item>`)
    .join('');
  return items === '' ? '' : `<tagSet>${items}</tagSet>`;
}

/** A `<…Response>` document with its request id and body. */
export function responseDocument(action: string, requestId: string, body: string): string {
  return `${DECLARATION}<${action}Response xmlns="${EC2_XMLNS}">${element('requestId', requestId)}${body}</${action}Response>`;
}

/**
 * A volume's members (inside `<item>`). An attached volume's `attachmentSet` names its task as
 * `associatedResource` ("The ARN of the Amazon ECS or Fargate task to which the volume is attached";
 * no `instanceId` or `device` for a volume of a Fargate task: EC2 API Reference, VolumeAttachment).
 */
export function volumeMembers(volume: VolumeRecord, region: string): string {
  const attachment =
    volume.state === 'in-use' && volume.taskArn !== undefined
      ? `<attachmentSet><item>${element('volumeId', volume.volumeId)}${element('associatedResource', volume.taskArn)}${element('status', 'attached')}${element('attachTime', iso(volume.createdAt))}${element('deleteOnTermination', volume.deleteOnTermination)}</item></attachmentSet>`
      : '<attachmentSet/>';
  return [
    element('volumeId', volume.volumeId),
    element('size', volume.sizeGiB),
    optional('snapshotId', volume.snapshotId),
    element('availabilityZone', `${region}${LOCAL_AVAILABILITY_ZONE_SUFFIX}`),
    element('status', volume.state),
    element('createTime', iso(volume.createdAt)),
    attachment,
    tagSet(volume.tags),
    element('volumeType', 'gp3'),
    element('encrypted', true),
    element('multiAttachEnabled', false),
  ].join('');
}

/** A snapshot's members (inside `<item>`, or at the top of CreateSnapshot's answer). */
export function snapshotMembers(snapshot: SnapshotRecord, ownerId: string): string {
  return [
    element('snapshotId', snapshot.snapshotId),
    element('volumeId', snapshot.volumeId),
    element('status', snapshot.state),
    optional('statusMessage', snapshot.statusMessage),
    element('startTime', iso(snapshot.startedAt)),
    element('progress', snapshot.state === 'completed' ? '100%' : '0%'),
    element('ownerId', ownerId),
    element('volumeSize', snapshot.sizeGiB),
    element('description', snapshot.description),
    element('encrypted', true),
    tagSet(snapshot.tags),
  ].join('');
}

/** `<name><item>…</item>…</name>`, or `<name/>` when empty. */
export function itemSet(name: string, items: readonly string[]): string {
  return items.length === 0
    ? `<${name}/>`
    : `<${name}>${items.map((item) => `<item>${item}</item>`).join('')}</${name}>`;
}

/** EC2's error document. */
export function errorDocument(code: string, message: string, requestId: string): string {
  return `${DECLARATION}<Response><Errors><Error>${element('Code', code)}${element('Message', message)}</Error></Errors>${element('RequestID', requestId)}</Response>`;
}
