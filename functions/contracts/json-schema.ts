import * as z from 'zod';
import { kebabDetailType } from './names.ts';
import { DETAIL_SCHEMAS, INBOUND } from './registry.ts';

/** One generated JSON Schema document, with the file name it is published under. */
export interface DetailJsonSchema {
  readonly detailType: string;
  readonly fileName: string;
  readonly schema: Record<string, unknown>;
}

/**
 * JSON Schemas (draft 2020-12) of every public event's `detail`, generated from the zod contracts.
 * Inbound schemas describe what a publisher may send (the input side: defaults make fields optional).
 */
export function detailJsonSchemas(): DetailJsonSchema[] {
  return Object.entries(DETAIL_SCHEMAS).map(([detailType, schema]) => {
    const fileName = `${kebabDetailType(detailType)}.json`;
    const generated = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: INBOUND.has(detailType) ? 'input' : 'output',
      unrepresentable: 'throw',
    }) as Record<string, unknown>;
    return {
      detailType,
      fileName,
      schema: {
        $schema: generated.$schema,
        $id: `https://schemas.workspace-provisioner.dev/v1/${fileName}`,
        title: `${detailType} (detail)`,
        ...Object.fromEntries(Object.entries(generated).filter(([key]) => key !== '$schema')),
      },
    };
  });
}
