/**
 * The console's calls, all to the stack's public endpoint: its documented `/local/*` reads, and
 * for every change the operations the CLI uses (PutEvents, SQS, Lambda Invoke, `/local/simulate/*`,
 * the stand-in's `POST /exit`). Nothing private.
 */

/** A failed call, with the endpoint's own message. */
export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

async function answerOf(response) {
  const text = await response.text();
  let body;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    body = { message: text };
  }
  if (!response.ok) {
    const message = body.message ?? body.Message ?? body.__type ?? `HTTP ${response.status}`;
    throw new ApiError(message, response.status, body);
  }
  return body;
}

/** GET a documented read endpoint. */
export async function getJson(path, parameters = {}) {
  const query = new URLSearchParams(
    Object.entries(parameters).filter(([, value]) => value !== undefined && value !== ''),
  ).toString();
  return answerOf(
    await fetch(query ? `${path}?${query}` : path, { headers: { accept: 'application/json' } }),
  );
}

/** An AWS JSON call at `POST /`, as the SDK makes it. */
async function awsJson(version, target, input) {
  return answerOf(
    await fetch('/', {
      method: 'POST',
      headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': target },
      body: JSON.stringify(input),
    }),
  );
}

/** The form checked by the CLI's own code: `{entry}`, or an ApiError whose body has `problems`. */
export async function checkRequest(command, flags) {
  return answerOf(
    await fetch('/local/requests/check', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command, flags }),
    }),
  );
}

/** PutEvents of one checked entry; the event id, or an ApiError with the entry's error. */
export async function putEvent(entry) {
  const answer = await awsJson('1.1', 'AWSEvents.PutEvents', { Entries: [entry] });
  const [result] = answer.Entries ?? [];
  if (answer.FailedEntryCount || !result?.EventId) {
    throw new ApiError(
      `${result?.ErrorCode ?? 'PutEvents failed'}: ${result?.ErrorMessage ?? ''}`,
      200,
      answer,
    );
  }
  return result.EventId;
}

/** Checks a form, then publishes it: what `workspaces <command>` does. */
export async function publishRequest(command, flags) {
  const { entry } = await checkRequest(command, flags);
  const eventId = await putEvent(entry);
  return { entry, eventId, detail: JSON.parse(entry.Detail) };
}

/** An SQS operation (AWS JSON 1.0). */
export const sqs = (operation, input) => awsJson('1.0', `AmazonSQS.${operation}`, input);

/** Lambda asynchronous Invoke; resolves when Lambda accepted it (202). */
export async function invokeEvent(functionName, payload) {
  const response = await fetch(`/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, {
    method: 'POST',
    headers: { 'x-amz-invocation-type': 'Event', 'content-type': 'application/json' },
    body: payload,
  });
  if (response.status !== 202) {
    const body = await answerOf(response);
    throw new ApiError(`invoke answered ${response.status}, not 202`, response.status, body);
  }
}

/** A documented simulation, `POST /local/simulate/<name>`. */
export async function simulate(name, input) {
  return answerOf(
    await fetch(`/local/simulate/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    }),
  );
}

/**
 * The README's crash: the stand-in workspace's own `POST /exit {"code": N}` on its address. That is
 * another origin, so the request goes as a simple one and its answer cannot be read; the crash
 * shows in the events that follow.
 */
export async function crashWorkspace(workspaceUrl, code) {
  await fetch(new URL('/exit', workspaceUrl), {
    method: 'POST',
    mode: 'no-cors',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ code }),
  });
}
