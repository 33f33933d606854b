import type { NodeRedProcess } from '../../../support/node-red-process';
import type { FlowNode } from './flows';

/** Admin and http-in calls the bench makes to a Node-RED child. They are few, so fetch is fine. */

const REQUEST_TIMEOUT_MS = 120_000;

export async function postJson(
  red: NodeRedProcess,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(red.urlFor(path), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not every answer is JSON (e.g. an error page); the text is enough for the message.
  }
  return { status: response.status, body: parsed };
}

/**
 * A full deploy: every node stops and starts again, as when a user clicks Deploy with "Full" selected.
 * Node-RED answers the POST once the flows are saved, before they have started; resolving only at its
 * "Started flows" line means the next request finds the new nodes (and their http-in routes) in place.
 */
export async function deployFull(red: NodeRedProcess, flows: FlowNode[]): Promise<void> {
  const mark = red.mark();
  const answer = await postJson(red, 'flows', flows, { 'Node-RED-Deployment-Type': 'full' });
  if (answer.status !== 200 && answer.status !== 204) {
    throw new Error(`deploy failed: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  await red.waitForLine(/\[info\] Started flows/, { since: mark, timeoutMs: REQUEST_TIMEOUT_MS });
}

/** The deployed flows as the editor gets them: credentials are not included, as in a real redeploy. */
export async function getFlows(red: NodeRedProcess): Promise<FlowNode[]> {
  const response = await fetch(red.urlFor('flows'), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET /flows failed: HTTP ${response.status}`);
  return (await response.json()) as FlowNode[];
}

/** Stores a refresh token through the package's admin route, as a user would after deploying. */
export async function storeRefreshToken(
  red: NodeRedProcess,
  configId: string,
  refreshToken: string,
): Promise<void> {
  const answer = await postJson(red, 'aqara/refresh-token', {
    refresh_token: refreshToken,
    config: configId,
  });
  if (answer.status !== 200)
    throw new Error(`storing the refresh token failed: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
}
