import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { detailJsonSchemas } from '#contracts/json-schema.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';

/**
 * Env names a request may not set because a loader or an interpreter runs code from them. Each row
 * names the program that reads it and where that is documented.
 */
const INJECTION_NAMES: ReadonlyArray<readonly [name: string, readBy: string, source: string]> = [
  [
    'LD_PRELOAD',
    'glibc ld.so: loads the listed objects first',
    'https://man7.org/linux/man-pages/man8/ld.so.8.html',
  ],
  [
    'LD_LIBRARY_PATH',
    'glibc ld.so: library search path',
    'https://man7.org/linux/man-pages/man8/ld.so.8.html',
  ],
  ['LD_AUDIT', 'glibc ld.so: loads auditing objects', 'https://man7.org/linux/man-pages/man8/ld.so.8.html'],
  [
    'DYLD_INSERT_LIBRARIES',
    'macOS dyld (the process driver on a Mac)',
    'https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man1/dyld.1.html',
  ],
  [
    'NODE_OPTIONS',
    'Node.js: --import/--require run modules',
    'https://nodejs.org/api/cli.html#node_optionsoptions',
  ],
  [
    'NODE_REPL_EXTERNAL_MODULE',
    'Node.js: loaded in place of the REPL',
    'https://nodejs.org/api/cli.html#node_repl_external_modulefile',
  ],
  [
    'BASH_ENV',
    'bash: sourced by every non-interactive shell',
    'https://www.gnu.org/software/bash/manual/bash.html#Bash-Startup-Files',
  ],
  [
    'ENV',
    'sh/bash in POSIX mode: sourced at start',
    'https://www.gnu.org/software/bash/manual/bash.html#Bash-Startup-Files',
  ],
  [
    'SHELLOPTS',
    'bash: options enabled at start (xtrace with PS4)',
    'https://www.gnu.org/software/bash/manual/bash.html#Bash-Variables',
  ],
  [
    'BASHOPTS',
    'bash: shopt options enabled at start',
    'https://www.gnu.org/software/bash/manual/bash.html#Bash-Variables',
  ],
  [
    'PS4',
    'bash: expanded (command substitution) before each traced command',
    'https://www.gnu.org/software/bash/manual/bash.html#Bash-Variables',
  ],
  [
    'PROMPT_COMMAND',
    'bash: run before each prompt',
    'https://www.gnu.org/software/bash/manual/bash.html#Bash-Variables',
  ],
  [
    'PYTHONSTARTUP',
    'Python: file run at interactive start',
    'https://docs.python.org/3/using/cmdline.html#envvar-PYTHONSTARTUP',
  ],
  [
    'PYTHONWARNINGS',
    'Python: warning categories are imported by name',
    'https://docs.python.org/3/using/cmdline.html#envvar-PYTHONWARNINGS',
  ],
  [
    'PYTHONBREAKPOINT',
    'Python: the callable breakpoint() imports and calls',
    'https://docs.python.org/3/using/cmdline.html#envvar-PYTHONBREAKPOINT',
  ],
  [
    'PYTHONINSPECT',
    'Python: enters interactive mode after the script',
    'https://docs.python.org/3/using/cmdline.html#envvar-PYTHONINSPECT',
  ],
  [
    'PYTHONHOME',
    'Python: location of the standard library',
    'https://docs.python.org/3/using/cmdline.html#envvar-PYTHONHOME',
  ],
  [
    'JAVA_TOOL_OPTIONS',
    'the JVM: -javaagent loads an agent',
    'https://docs.oracle.com/en/java/javase/21/docs/specs/jvmti.html#tooloptions',
  ],
  [
    'JDK_JAVA_OPTIONS',
    'the java launcher: prepended options',
    'https://docs.oracle.com/en/java/javase/21/docs/specs/man/java.html',
  ],
  ['RUBYOPT', 'Ruby: -r requires a library', 'https://docs.ruby-lang.org/en/master/ruby/options_md.html'],
  ['PERL5OPT', 'Perl: -M loads a module', 'https://perldoc.perl.org/perlrun#PERL5OPT'],
  [
    'PERL5LIB',
    'Perl: module search path ahead of the system one',
    'https://perldoc.perl.org/perlrun#PERL5LIB',
  ],
  ['PERLLIB', 'Perl: module search path', 'https://perldoc.perl.org/perlrun#PERLLIB'],
  [
    'GCONV_PATH',
    'glibc iconv: loads conversion modules',
    'https://man7.org/linux/man-pages/man3/iconv_open.3.html',
  ],
  [
    'GLIBC_TUNABLES',
    'glibc: parsed by ld.so at start (CVE-2023-4911)',
    'https://www.gnu.org/software/libc/manual/html_node/Tunables.html',
  ],
];

const valid = { requestId: 'req-1', workspaceId: 'ws-1', orgId: 'org-1', runtime: 'claude-code' };
const provisionSchema = detailJsonSchemas().find(
  (document) => document.detailType === DETAIL_TYPES.provisionRequested,
)?.schema;
const validateJson = new Ajv2020({ strict: false }).compile(provisionSchema as object);

describe('env names that would let a request run code in the workspace process', () => {
  it.each(INJECTION_NAMES)('refuses %s (%s) in zod and JSON Schema, naming it', (name) => {
    const request = { ...valid, env: { [name]: '--import=data:text/javascript,process.exit(9)' } };
    const parsed = ProvisionRequestedDetail.safeParse(request);
    expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      [`env.${name}`, expect.stringContaining(`env name "${name}" is not allowed: loaders and interpreters`)],
    ]);
    expect(validateJson(request)).toBe(false);
  });

  it.each([
    ['PYTHONPATH', 'molecule passes PYTHONPATH=/app (docs: workspace-runtime-facts)'],
    ['NODE_ENV', 'a plain setting'],
    ['MY_LD_FLAGS', 'the prefix only counts at the start of the name'],
    ['ENVIRONMENT', 'ENV is refused as a whole name only'],
  ])('still accepts %s (%s)', (name) => {
    const request = { ...valid, env: { [name]: 'x' } };
    expect(ProvisionRequestedDetail.safeParse(request).success).toBe(true);
    expect(validateJson(request)).toBe(true);
  });
});
