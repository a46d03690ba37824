/** `npm run schemas`: writes schemas/<detail-type in kebab case>.json from the zod contracts. */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { detailJsonSchemas } from '#contracts/json-schema.ts';

const outDir = join(import.meta.dirname, '..', 'schemas');
await mkdir(outDir, { recursive: true });
const documents = detailJsonSchemas();
const wanted = new Set(documents.map((document) => document.fileName));
for (const file of await readdir(outDir)) {
  if (file.endsWith('.json') && !wanted.has(file)) await rm(join(outDir, file));
}
for (const { fileName, schema } of documents) {
  await writeFile(join(outDir, fileName), `${JSON.stringify(schema, null, 2)}\n`);
}
console.log(`wrote ${documents.length} JSON Schemas to schemas/`);
