import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import overlaysFile from '#config/overlays.json' with { type: 'json' };
import { detailJsonSchemas } from '#contracts/json-schema.ts';
import { DETAIL_TYPES, KINDS } from '#contracts/names.ts';

const coreDir = join(import.meta.dirname, '..', '..', '..', 'functions', 'core');

describe('architecture invariants', () => {
  it('keeps core/ free of the AWS SDK, adapters, infra, local and I/O', async () => {
    const files = (await readdir(coreDir)).filter((file) => file.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    const forbidden = [
      /@aws-sdk\//,
      /aws-cdk-lib/,
      /@aws-lambda-powertools\//,
      /#adapters\//,
      /#infra\//,
      /#local\//,
      /node:(fs|http|https|net|child_process)/,
      /^\.\.\//,
    ];
    for (const file of files) {
      const source = await readFile(join(coreDir, file), 'utf8');
      const imports = [...source.matchAll(/^\s*import[^'"]*['"]([^'"]+)['"]/gm)].map(
        (match) => match[1] ?? '',
      );
      for (const specifier of imports) {
        for (const pattern of forbidden)
          expect(specifier, `${file} imports ${specifier}`).not.toMatch(pattern);
      }
    }
  });

  it('keeps the kind constants equal to the contract enum and the overlay table', () => {
    const provision = detailJsonSchemas().find(
      (document) => document.detailType === DETAIL_TYPES.provisionRequested,
    );
    if (!provision) throw new Error('no JSON Schema for provision requests');
    const kindEnum = (provision.schema as { properties: { kind: { enum: string[] } } }).properties.kind.enum;
    expect(kindEnum).toEqual([...KINDS]);
    expect(
      Object.keys(overlaysFile)
        .filter((key) => key !== '$comment')
        .sort(),
    ).toEqual([...KINDS].sort());
  });
});
