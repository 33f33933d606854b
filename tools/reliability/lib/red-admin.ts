import http from 'node:http';
import type { NodeRedSession } from '../../../support/node-red';

/**
 * Talking to a running Node-RED (support/node-red.ts starts it) the way the editor and Aqara do:
 * admin API calls, deploys, inject buttons, raw HTTP with exact bytes for hostile requests.
 */

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpCall {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/**
 * Plain node:http rather than fetch: the hostile requests need exact control over bytes and headers
 * (no Content-Type at all, invalid UTF-8, a wrong charset), which fetch would "fix".
 */
export function httpRequest(url: string, call: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const body =
      call.body === undefined ? undefined : Buffer.isBuffer(call.body) ? call.body : Buffer.from(call.body);
    const headers: Record<string, string | number> = { ...call.headers };
    if (body !== undefined) headers['Content-Length'] = body.length;
    const request = http.request(url, { method: call.method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    request.setTimeout(call.timeoutMs ?? 30_000, () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
    request.end(body);
  });
}

export async function adminJson(
  session: NodeRedSession,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const answer = await httpRequest(session.red.urlFor(path), {
    method,
    headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = answer.body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: answer.status, json, text };
}

/** Presses an inject node's button. */
export async function pressInject(session: NodeRedSession, id: string): Promise<void> {
  const answer = await httpRequest(session.red.urlFor(`inject/${id}`), { method: 'POST' });
  if (answer.status !== 200) throw new Error(`inject ${id}: HTTP ${answer.status}`);
}
