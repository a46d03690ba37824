import { afterAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { waitForEvents } from '#local/stack.ts';
import { MAX_JSON_DEPTH } from '#local/wire/json-depth.ts';
import { about, provisionRequest, startTestStack, uniqueId } from './helpers.ts';

/**
 * Deep JSON at the endpoint (issue 10, finding 2): a PutEvents batch with one Detail 5,000 levels
 * deep was an HTTP 500 for every entry, and a RunTask body nested as deep overflowed the stack too.
 * Now the over-deep entry alone is refused and a body too deep to handle is a SerializationException.
 */

const stack = await startTestStack();
afterAll(() => stack.stop());

const nested = (levels: number): string => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

async function post(
  target: string,
  body: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(stack.stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('deeply nested input at the endpoint', () => {
  it('PutEvents refuses the over-deep entry alone; the valid one in its batch is provisioned', async () => {
    const workspaceId = uniqueId('deep');
    const valid = provisionRequest(workspaceId);
    const deep = JSON.stringify(provisionRequest(uniqueId('deep'))).replace(
      /}$/,
      `,"extra":${nested(4000)}}`,
    );
    const entry = (Detail: string) => ({
      Source: 'platform.workspace-server',
      DetailType: DETAIL_TYPES.provisionRequested,
      Detail,
      EventBusName: 'workspaces',
    });

    const answer = await post(
      'AWSEvents.PutEvents',
      JSON.stringify({ Entries: [entry(JSON.stringify(valid)), entry(deep)] }),
    );

    expect(answer.status).toBe(200);
    expect(answer.body.FailedEntryCount).toBe(1);
    expect((answer.body.Entries as unknown[])[1]).toEqual({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed.',
    });
    const events = await waitForEvents(
      stack.stack.url,
      (log) => about(log, DETAIL_TYPES.taskLaunched, workspaceId).length > 0,
      15_000,
    );
    expect(about(events, DETAIL_TYPES.taskLaunched, workspaceId)).toHaveLength(1);
  });

  it('answers a request body nested deeper than the limit with SerializationException, not a 500', async () => {
    const body = `{"cluster":"workspaces","taskDefinition":"x","overrides":${nested(MAX_JSON_DEPTH * 5)}}`;

    const answer = await post('AmazonEC2ContainerServiceV20141113.RunTask', body);

    expect(answer.status).toBe(400);
    expect(answer.body.__type).toBe('SerializationException');
  });
});
