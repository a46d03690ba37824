/**
 * Malformed provision requests for the bad-input benchmark: every CONTRACT.md rule broken, wrong
 * types, oversized fields, injection-looking env names, unknown runtimes and kinds. Each is a
 * request a careless or hostile publisher could really send.
 */

const valid = (index: number): Record<string, unknown> => ({
  requestId: `bad-${index}`,
  workspaceId: `ws-bad-${index}`,
  orgId: 'org-bad',
  runtime: 'codex',
});

type Mutation = (request: Record<string, unknown>) => unknown;

const set =
  (field: string, value: unknown): Mutation =>
  (request) => ({ ...request, [field]: value });
const drop =
  (field: string): Mutation =>
  (request) =>
    Object.fromEntries(Object.entries(request).filter(([key]) => key !== field));

const wrongTypes: unknown[] = [null, 42, 3.5, true, false, [], ['x'], {}, { a: 1 }];
const idFields = ['requestId', 'workspaceId', 'orgId'];

/** Every way of breaking the contract this benchmark sends, with a name for the report. */
export function malformedRequests(): Array<{ name: string; detail: unknown }> {
  const mutations: Array<[string, Mutation]> = [];
  for (const field of [...idFields, 'runtime']) {
    mutations.push([`${field} missing`, drop(field)]);
    for (const value of wrongTypes)
      mutations.push([`${field} as ${JSON.stringify(value)}`, set(field, value)]);
  }
  for (const field of idFields) {
    mutations.push([`${field} empty`, set(field, '')]);
    mutations.push([`${field} 65 chars`, set(field, 'a'.repeat(65))]);
    mutations.push([`${field} 10k chars`, set(field, 'a'.repeat(10_000))]);
    for (const bad of [
      ' ',
      '/',
      '\\',
      '"',
      "'",
      ';',
      '$(id)',
      '`id`',
      '\n',
      '\u0000',
      'é',
      '🙂',
      '<script>',
      '../..',
      '*',
      '%00',
    ]) {
      if (field === 'requestId' && /^[A-Za-z0-9._:-]+$/.test(bad)) continue;
      mutations.push([`${field} with ${JSON.stringify(bad)}`, set(field, `id${bad}x`)]);
    }
  }
  for (const runtime of [
    '',
    'gpt',
    'CODEX',
    'codex ',
    'claude_code',
    'hermes;rm',
    '../codex',
    'openclaw\n',
    'platform-agent',
  ]) {
    mutations.push([`unknown runtime ${JSON.stringify(runtime)}`, set('runtime', runtime)]);
  }
  for (const kind of [
    '',
    'admin',
    'Platform',
    'WORKSPACE',
    'concierge',
    'platform ',
    null,
    1,
    ['platform'],
  ]) {
    mutations.push([`unknown kind ${JSON.stringify(kind)}`, set('kind', kind)]);
  }
  for (const tier of [0, 5, -1, 2.5, '2', null, 1e9, Number.MAX_SAFE_INTEGER, [2], { tier: 2 }]) {
    mutations.push([`tier ${JSON.stringify(tier)}`, set('tier', tier)]);
  }
  for (const template of ['', 'Upper', 'with space', 'a'.repeat(65), '../../etc', 'tmpl;rm', 42, null]) {
    mutations.push([`template ${JSON.stringify(template).slice(0, 40)}`, set('template', template)]);
  }
  const envCases: Array<[string, unknown]> = [
    ['env as array', ['A=1']],
    ['env as string', 'A=1'],
    ['env null', null],
    ['env value number', { COUNT: 1 }],
    ['env value object', { CONF: { a: 1 } }],
    ['env value null', { EMPTY: null }],
    ['env 51 entries', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`V${i}`, 'x']))],
    ['env over 4 KiB', { BIG: 'x'.repeat(5000) }],
    ['env 1 MiB value', { HUGE: 'x'.repeat(200_000) }],
    ['env over 4 KiB in UTF-8', { WIDE: 'é'.repeat(3000) }],
  ];
  for (const name of [
    'lower',
    'Mixed',
    '1ABC',
    '_HIDDEN',
    'A-B',
    'A B',
    'A;B',
    'A=B',
    '$(whoami)',
    'PATH;rm -rf /',
    `\${IFS}`,
    'LD_PRELOAD\n',
    '',
    'WORKSPACE_ID',
    'ORG_ID',
    'WORKSPACE_KIND',
    'WORKSPACE_RUNTIME',
    'TIER',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_',
    'ECS_CONTAINER_METADATA_URI_V4',
    'ECS_',
  ]) {
    envCases.push([`env name ${JSON.stringify(name)}`, { [name]: 'value' }]);
  }
  for (const [name, env] of envCases) mutations.push([name, set('env', env)]);
  const injections = [
    "' OR '1'='1",
    '; DROP TABLE tasks; --',
    '\r\nX-Injected: 1',
    '{{7*7}}',
    '%s%s%n',
    '\u202e',
  ];
  for (const injection of injections) {
    for (const field of [...idFields, 'runtime', 'template']) {
      mutations.push([`${field} injection ${JSON.stringify(injection)}`, set(field, injection)]);
    }
  }
  for (const field of [
    'runtme',
    'Kind',
    'image',
    'taskDefinition',
    '__proto__x',
    'cpu',
    'command',
    'secrets',
    'reason',
    'Env',
  ]) {
    mutations.push([`unknown field ${field}`, set(field, 'x')]);
  }
  mutations.push(['detail is a string', () => 'provision please']);
  mutations.push(['detail is a number', () => 7]);
  mutations.push(['detail is an array', () => [valid(0)]]);
  mutations.push(['detail is null', () => null]);
  mutations.push([
    'everything wrong at once',
    () => ({ requestId: 1, workspaceId: null, orgId: [], runtime: {}, kind: 9 }),
  ]);
  return mutations.map(([name, mutate], index) => ({ name, detail: mutate(valid(index)) }));
}
