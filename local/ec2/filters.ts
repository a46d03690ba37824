/**
 * EC2's `Filter.N.Name` / `Filter.N.Value.M` for DescribeVolumes and DescribeSnapshots, the subset
 * the workspace-volumes adapter uses. Filters are ANDed, the values of one filter ORed, and values
 * may hold the wildcards `*` and `?` (EC2 API Reference, DescribeVolumes "Filter.N").
 */
import { Ec2ApiError } from './errors.ts';
import type { SnapshotRecord, VolumeRecord } from './records.ts';

/** One filter as the request gave it. */
export interface Ec2Filter {
  readonly name: string;
  readonly values: readonly string[];
}

type Field<T> = (record: T, name: string) => string | undefined;

const tagField = <T extends { readonly tags: Readonly<Record<string, string>> }>(
  record: T,
  name: string,
): string | undefined => (name.startsWith('tag:') ? record.tags[name.slice(4)] : undefined);

const VOLUME_FIELDS: ReadonlyMap<string, Field<VolumeRecord>> = new Map([
  ['volume-id', (volume: VolumeRecord) => volume.volumeId],
  ['status', (volume: VolumeRecord) => volume.state],
  ['snapshot-id', (volume: VolumeRecord) => volume.snapshotId],
  ['size', (volume: VolumeRecord) => String(volume.sizeGiB)],
]);

const SNAPSHOT_FIELDS: ReadonlyMap<string, Field<SnapshotRecord>> = new Map([
  ['snapshot-id', (snapshot: SnapshotRecord) => snapshot.snapshotId],
  ['volume-id', (snapshot: SnapshotRecord) => snapshot.volumeId],
  ['status', (snapshot: SnapshotRecord) => snapshot.state],
  ['description', (snapshot: SnapshotRecord) => snapshot.description],
]);

/** Keeps the volumes every filter matches. @throws Ec2ApiError InvalidParameterValue for a filter not served. */
export const filterVolumes = (volumes: readonly VolumeRecord[], filters: readonly Ec2Filter[]) =>
  applyFilters(volumes, filters, VOLUME_FIELDS);

/** Keeps the snapshots every filter matches. @throws Ec2ApiError InvalidParameterValue for a filter not served. */
export const filterSnapshots = (snapshots: readonly SnapshotRecord[], filters: readonly Ec2Filter[]) =>
  applyFilters(snapshots, filters, SNAPSHOT_FIELDS);

function applyFilters<T extends { readonly tags: Readonly<Record<string, string>> }>(
  records: readonly T[],
  filters: readonly Ec2Filter[],
  fields: ReadonlyMap<string, Field<T>>,
): T[] {
  const tests = filters.map((filter) => {
    const field: Field<T> | undefined = filter.name.startsWith('tag:') ? tagField : fields.get(filter.name);
    if (field === undefined) {
      throw new Ec2ApiError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    }
    const patterns = filter.values.map(wildcard);
    return (record: T) => {
      const value = field(record, filter.name);
      return value !== undefined && patterns.some((pattern) => pattern.test(value));
    };
  });
  return records.filter((record) => tests.every((test) => test(record)));
}

/** `*` any run of characters, `?` one; everything else literal. */
function wildcard(value: string): RegExp {
  const source = [...value]
    .map((character) => {
      if (character === '*') return '.*';
      if (character === '?') return '.';
      return character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, 's');
}
