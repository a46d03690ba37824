import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '#wiring/functions.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const outdir = mkdtempSync(path.join(tmpdir(), 'workspace-provisioner-synth-'));

/** A proxy that refuses everything and remembers who asked: any network call shows up here. */
const attempts: string[] = [];
const proxy = createServer((request, response) => {
  attempts.push(`${request.method} ${request.url}`);
  response.writeHead(502).end();
});
proxy.on('connect', (request, socket) => {
  attempts.push(`CONNECT ${request.url}`);
  socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
});

beforeAll(() => new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve)));
afterAll(() => {
  proxy.close();
  rmSync(outdir, { recursive: true, force: true });
});

/**
 * A clean machine: no AWS credentials, profile or region, and every HTTP(S) request routed to the
 * refusing proxy. npm's own update check is switched off as a machine setting; it is npm's, not
 * the app's.
 */
function offlineEnv(): NodeJS.ProcessEnv {
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(AWS_|CDK_DEFAULT_)/.test(name) || name === 'AWS_CA_BUNDLE',
    ),
  );
  return {
    ...clean,
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    NO_PROXY: '',
    no_proxy: '',
    NODE_USE_ENV_PROXY: '1',
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  };
}

describe('npx cdk synth', () => {
  it('synthesizes offline with no credentials, bundling every handler as ESM', {
    timeout: 120_000,
  }, async () => {
    const { stdout, stderr } = await run('npx', ['cdk', 'synth', '--quiet', '-vvv', '--output', outdir], {
      cwd: root,
      env: offlineEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });

    const templatePath = path.join(outdir, 'WorkspaceProvisioner.template.json');
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const functions = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(FUNCTION_NAMES.length);

    const bundles = readdirSync(outdir).filter((entry) => entry.startsWith('asset.'));
    expect(bundles).toHaveLength(FUNCTION_NAMES.length);
    for (const bundle of bundles) {
      expect(readdirSync(path.join(outdir, bundle)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(path.join(outdir, bundle, 'index.mjs'), 'utf8');
      expect(code).toMatch(
        /^import { createRequire } from 'module';const require = createRequire\(import\.meta\.url\);/,
      );
    }

    // No context lookups, no telemetry, no notices, no request of any kind. The CLI logs to stderr,
    // or to stdout when CI=true, as on the CI runner, so both streams are searched.
    const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
      missing?: unknown[];
    };
    expect(manifest.missing).toBeUndefined();
    expect(`${stdout}\n${stderr}`).toContain('Telemetry disabled');
    expect(attempts).toEqual([]);
  });
});
