import { isRecord } from '../../lib/is-record';
import { checkRefreshToken } from '../../lib/tokens/refresh-token-format';
import { invalid, type Outcome, reply, withConfig } from './admin-replies';
import type { AdminRequest, AdminResponse, NodeAPI } from '../node-red-api';

/**
 * The token routes of docs/http-api.md (registered in routes.ts):
 *   POST /aqara/refresh-token   store a pasted refresh token for a deployed aqara-config
 *   GET  /aqara/token-status    that config's token status
 * Bad input is always a 4xx, and no answer or log line ever carries a token.
 */

/** `application/json`, with or without parameters such as charset; nothing else. */
function isJsonContentType(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string') return false;
  return value.split(';')[0].trim().toLowerCase() === 'application/json';
}

/** Own properties only: a body may carry `__proto__` or `constructor` keys. */
function readRefreshToken(body: Record<string, unknown>): Outcome<string> {
  const check = checkRefreshToken(Object.hasOwn(body, 'refresh_token') ? body.refresh_token : undefined);
  return check.ok ? { ok: true, value: check.token } : invalid(check.problem);
}

export async function postRefreshToken(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  if (!isJsonContentType(req.headers['content-type'])) {
    reply(res, 415, {
      error: 'Unsupported Media Type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      details: 'Content-Type must be application/json',
    });
    return;
  }
  const body = req.body;
  // Node-RED's parser hands over arrays too, and other parsers (httpAdminMiddleware) may hand strings.
  const token = isRecord(body)
    ? readRefreshToken(body)
    : invalid<string>('request body must be a JSON object');
  if (!token.ok) return reply(res, token.status, token.body);
  await withConfig(RED, req, res, async (config) => {
    const { updatedAt } = await config.setRefreshToken(token.value);
    reply(res, 200, { message: 'Refresh token updated successfully', updated_at: updatedAt.toISOString() });
  });
}

export function getTokenStatus(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  return withConfig(RED, req, res, (config) => reply(res, 200, config.tokenStatus()));
}
