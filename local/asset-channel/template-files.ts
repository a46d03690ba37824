/**
 * A template's files as upstream's asset channel would send them: every file under a folder, with
 * its path relative to that folder (`config.yaml`, `prompts/concierge.md`). The stand-in reads
 * `config/templates/<template>/`; `workspaces assets stage --from DIR` reads any folder.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnknownTemplateError } from './errors.ts';

/** Where the shipped templates live: `config/templates/`. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../config/templates/', import.meta.url));

/** A template name as the contract allows it (`templateField`): lower-case letters, digits and `-`. */
const TEMPLATE_NAME = /^[a-z0-9-]{1,128}$/;

/** One file to stage. */
export interface TemplateFile {
  /** Relative to the template folder, `/`-separated. */
  readonly path: string;
  readonly content: Buffer;
}

/**
 * The folder of a template under `root`.
 *
 * @throws UnknownTemplateError when the name is not a template name or the folder does not exist.
 */
export async function templateDirectory(template: string, root: string = TEMPLATES_DIR): Promise<string> {
  if (!TEMPLATE_NAME.test(template)) {
    throw new UnknownTemplateError(template, `"${template}" is not a template name (a-z, 0-9 and -)`);
  }
  const directory = join(root, template);
  const found = await stat(directory).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new UnknownTemplateError(template, `no template "${template}": ${directory} is not a folder`);
  }
  return directory;
}

/**
 * Every regular file under `directory`, sorted by path. Links and other special files are left out,
 * so a template cannot stage a file from outside its folder.
 */
export async function readTemplateFiles(directory: string): Promise<TemplateFile[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  return Promise.all(
    files.map(async function readOne(path): Promise<TemplateFile> {
      return { path: relative(directory, path).split(sep).join('/'), content: await readFile(path) };
    }),
  );
}
