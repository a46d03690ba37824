/**
 * Reads an EC2 Query request body (`application/x-www-form-urlencoded`): flattened lists are
 * `Name.1`, `Name.2`…, structures `Name.1.Member`, as the SDK's `ec2Query` serializer writes them
 * (`Filter.1.Name=tag:workspace-id&Filter.1.Value.1=ws-1`, `Owner.1=self`,
 * `TagSpecification.1.Tag.1.Key=…`).
 */
import { Ec2ApiError } from './errors.ts';
import type { Ec2Filter } from './filters.ts';

/** The parameters of one request. */
export class QueryInput {
  private readonly params: URLSearchParams;
  constructor(body: string) {
    this.params = new URLSearchParams(body);
  }

  /** One parameter, or undefined. */
  optional(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  /** One parameter. @throws Ec2ApiError `MissingParameter`. */
  required(name: string): string {
    const value = this.params.get(name);
    if (value === null || value === '') {
      throw new Ec2ApiError('MissingParameter', `The request must contain the parameter ${name}`);
    }
    return value;
  }

  /** `Name.1`, `Name.2`, … in order, stopping at the first gap. */
  list(name: string): string[] {
    const values: string[] = [];
    for (let index = 1; ; index += 1) {
      const value = this.params.get(`${name}.${index}`);
      if (value === null) return values;
      values.push(value);
    }
  }

  /** `Filter.N.Name` with its `Filter.N.Value.M`. */
  filters(): Ec2Filter[] {
    const filters: Ec2Filter[] = [];
    for (let index = 1; ; index += 1) {
      const name = this.params.get(`Filter.${index}.Name`);
      if (name === null) return filters;
      filters.push({ name, values: this.list(`Filter.${index}.Value`) });
    }
  }

  /**
   * The tags of the `TagSpecification.N` for `resourceType`. @throws Ec2ApiError
   * `InvalidParameterValue` for a specification of another resource type.
   */
  tagsFor(resourceType: string): Record<string, string> {
    const tags: Record<string, string> = {};
    for (let index = 1; ; index += 1) {
      const type = this.params.get(`TagSpecification.${index}.ResourceType`);
      if (type === null) return tags;
      if (type !== resourceType) {
        throw new Ec2ApiError(
          'InvalidParameterValue',
          `'${type}' is not a valid taggable resource type for this operation.`,
        );
      }
      for (let tag = 1; ; tag += 1) {
        const key = this.params.get(`TagSpecification.${index}.Tag.${tag}.Key`);
        if (key === null) break;
        tags[key] = this.params.get(`TagSpecification.${index}.Tag.${tag}.Value`) ?? '';
      }
    }
  }
}
