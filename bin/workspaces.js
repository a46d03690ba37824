#!/usr/bin/env node
// The `workspaces` CLI. The CLI is TypeScript; tsx's loader lets Node run it as it is, so the
// installed bin needs no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import(new URL('../local/cli/main.ts', import.meta.url).href);
process.exitCode = await runCli(process.argv.slice(2));
