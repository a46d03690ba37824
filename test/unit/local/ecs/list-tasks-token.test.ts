import { describe, expect, it } from 'vitest';
import { decodeNextToken, encodeNextToken } from '#local/ecs/operations/list-tasks.ts';

describe("ListTasks' nextToken", () => {
  it('names the position it was made from', () => {
    for (const seq of [0, 1, 42, 2 ** 31]) expect(decodeNextToken(encodeNextToken(seq))).toBe(seq);
  });

  it('starts at the beginning without a token', () => {
    expect(decodeNextToken(undefined)).toBe(0);
    expect(decodeNextToken('')).toBe(0);
  });

  it.each([
    ['not base64 JSON', 'not-a-token'],
    ['no position', Buffer.from('{}').toString('base64url')],
    ['a negative position', Buffer.from('{"after":-1}').toString('base64url')],
    ['a fractional position', Buffer.from('{"after":1.5}').toString('base64url')],
  ])('refuses %s', (_case, token) => {
    expect(() => decodeNextToken(token)).toThrow(
      expect.objectContaining({ code: 'InvalidParameterException' }),
    );
  });
});
