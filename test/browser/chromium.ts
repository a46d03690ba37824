/**
 * The Chromium the browser tests drive (playwright-core, no browser download): Debian's `chromium`
 * package, or the executable `CHROMIUM_PATH` names. Without one, a test file says why on one line
 * and its tests are skipped; under CI it fails instead, since CI must run them (.ci/run installs it).
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Where Debian and the common distributions put it. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export interface ChromiumProbe {
  readonly executablePath?: string;
  readonly why?: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable Chromium, or why there is none. */
export function probeChromium(): ChromiumProbe {
  const named = process.env.CHROMIUM_PATH;
  const candidates = named ? [named] : CANDIDATES;
  const executablePath = candidates.find(isExecutable);
  return executablePath ? { executablePath } : { why: `no Chromium executable at ${candidates.join(', ')}` };
}

/**
 * The Chromium for a test file. Without one it prints one line saying why (the file's tests are
 * skipped); when `CI` is set it throws instead.
 *
 * @throws Error when `CI` is set and no Chromium is found.
 */
export function chromiumFor(testFile: string): ChromiumProbe {
  const probe = probeChromium();
  if (probe.executablePath) return probe;
  if (process.env.CI) {
    throw new Error(`${testFile}: CI is set but ${probe.why}; .ci/run installs Debian's chromium`);
  }
  console.warn(
    `${testFile}: skipped, ${probe.why}; install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`,
  );
  return probe;
}

/** Headless Chromium at that path, sandbox off (CI runs as root in a container). */
export const launchChromium = (executablePath: string): Promise<Browser> =>
  chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });

/** Where the README's screenshots go. */
export const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'docs', 'console');

/** Saves a screenshot of the page for the README. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}
