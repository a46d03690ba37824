import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ENV_NAME_PATTERN, envNameProblem, secretWordOf } from '#contracts/fields.ts';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { SECRET_ENV_WORDS } from '#contracts/names.ts';

/**
 * v1.1: `env` refuses a name any of whose `_`-separated words is a secret word, pointing to
 * `secrets`; the word must match whole. The same regex is in the published JSON Schema, so the
 * names are checked through Ajv as well.
 */

const ajv = new Ajv2020({ strict: true });
const jsonPattern = ajv.compile({ type: 'string', pattern: ENV_NAME_PATTERN.source });
const request = (env: Record<string, string>) => ({
  requestId: 'req-1',
  workspaceId: 'ws-1',
  orgId: 'org-1',
  runtime: 'codex',
  env,
});

/** [name, the secret word it holds as a whole word] */
const refused: ReadonlyArray<[string, string]> = [
  ['MODEL_API_KEY', 'KEY'],
  ['ANTHROPIC_API_KEY', 'KEY'],
  ['GITHUB_TOKEN', 'TOKEN'],
  ['DB_PASSWORD', 'PASSWORD'],
  ['CLIENT_SECRET', 'SECRET'],
  ['GOOGLE_APPLICATION_CREDENTIALS', 'CREDENTIALS'],
  ['SECRET', 'SECRET'],
  ['TOKEN_URL', 'TOKEN'],
  ['SSH_KEY_PATH', 'KEY'],
  ['MY_APIKEY', 'APIKEY'],
  ['SMTP_PASSWD', 'PASSWD'],
  ['GPG_PASSPHRASE', 'PASSPHRASE'],
  ['DOCKER_CREDS', 'CREDS'],
  ['SIGNING_KEYS', 'KEYS'],
  ['ACCESS_TOKENS_FILE', 'TOKENS'],
  ['APP_SECRETS', 'SECRETS'],
];

const allowed: readonly string[] = [
  'KEYBOARD_LAYOUT',
  'MONKEY',
  'TOKENIZER',
  'TOKENIZERS_PARALLELISM',
  'PASSWORDLESS_LOGIN',
  'SECRETARY',
  'HOTKEY',
  'LOG_LEVEL',
  'MODEL',
  'KEYCLOAK_URL',
];

describe('secret-looking env names (v1.1)', () => {
  it.each(refused)('refuses %s (the word %s) in zod and JSON Schema, pointing to secrets', (name, word) => {
    expect(secretWordOf(name)).toBe(word);
    expect(ENV_NAME_PATTERN.test(name)).toBe(false);
    expect(jsonPattern(name)).toBe(false);
    const parsed = ProvisionRequestedDetail.safeParse(request({ [name]: 'x' }));
    expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      [`env.${name}`, expect.stringContaining(`the word ${word}`)],
    ]);
    expect(envNameProblem(name)).toContain('`secrets`');
  });

  it.each(allowed)('allows %s: no secret word is one of its words', (name) => {
    expect(secretWordOf(name)).toBeUndefined();
    expect(ENV_NAME_PATTERN.test(name)).toBe(true);
    expect(jsonPattern(name)).toBe(true);
    expect(ProvisionRequestedDetail.safeParse(request({ [name]: 'x' })).success).toBe(true);
  });

  it.each(SECRET_ENV_WORDS.map((word) => [word]))(
    'refuses %s as a first, middle, last and only word',
    (word) => {
      for (const name of [`${word}_X`, `A_${word}_B`, `A_${word}`, word]) {
        expect(ENV_NAME_PATTERN.test(name), name).toBe(false);
        expect(jsonPattern(name), name).toBe(false);
      }
    },
  );

  it('keeps the reserved-name message for a reserved name that also holds a secret word', () => {
    expect(envNameProblem('AWS_SECRET_ACCESS_KEY')).toContain('reserved');
  });
});
