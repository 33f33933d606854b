import { listAccountScenesShared } from '../lib/aqara/intents/scenes';
import { isRecord } from '../lib/is-record';
import { checkRefreshToken } from '../lib/tokens/refresh-token-format';
import {
  type ErrorBody,
  errorName,
  invalid,
  type Outcome,
  reply,
  replyWithListing,
  withConfig,
} from './admin-replies';
import { LISTING_TTL_MS } from './listing-cache';
import type { AdminErrorHandler, AdminHandler, AdminRequest, AdminResponse, NodeAPI } from './types';

/**
 * The admin API of docs/http-api.md, on Node-RED's admin app so Node-RED's own admin auth guards it:
 *   POST /aqara/refresh-token   store a pasted refresh token for a deployed aqara-config
 *   GET  /aqara/token-status    that config's token status
 *   GET  /aqara/scenes          the scenes of that config's Aqara account, for the editor's scene picker
 * Every answer is JSON, bad input is always a 4xx, and no answer or log line ever carries a token.
 */

/**
 * Marks Node-RED's admin app once the routes are on it. A symbol from the global registry, not a
 * module variable, so a second copy of this module (re-required, or installed twice) cannot add them again.
 */
const ROUTES_MARK = Symbol.for('@metron/node-red-aqara-cloud:admin-routes');

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

async function postRefreshToken(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
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

function getTokenStatus(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  return withConfig(RED, req, res, (config) => reply(res, 200, config.tokenStatus()));
}

/**
 * Aqara's scenes for the picker, fetched with the deployed config's own token manager (so its cached
 * access token, refresh and quota guard apply). Aqara's answers become words for the dialog:
 * AqaraError messages name Aqara's code and text and never carry a secret.
 */
function getScenes(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  // Each listing can cost up to 100 calls of the app's quota: kept 10 minutes (listing-cache.ts).
  return replyWithListing(
    RED,
    req,
    res,
    { key: 'scenes', ttlMs: LISTING_TTL_MS },
    (manager) => listAccountScenesShared(manager),
    (scenes) => scenes,
  );
}

/**
 * The host a browser says the calling page came from, against the host the request was sent to.
 * With adminAuth off Node-RED answers every CORS preflight with `*`, so without this any web page
 * the user visits could store a refresh token of its choosing or list the account's scenes. Browsers
 * always send Origin on cross-origin requests and cannot forge it; curl and scripts send none.
 * X-Forwarded-Host is not trusted: a page may set any header the preflight lets through.
 */
function isCrossOrigin(req: AdminRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const host = req.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string') return true;
  try {
    const from = new URL(origin);
    // Through URL too, so a default port written out (":80") and letter case do not matter.
    return from.host !== new URL(`${from.protocol}//${host}`).host;
  } catch {
    // "null" (a sandboxed frame or a file) or anything unparsable names no host of ours.
    return true;
  }
}

const refuseCrossOrigin: AdminHandler = (req, res, next) => {
  if (!isCrossOrigin(req)) return next();
  reply(res, 403, {
    error: 'Forbidden',
    code: 'CROSS_ORIGIN',
    details: 'the request came from a page of another site: only the Node-RED editor may use this route',
  });
};

/**
 * Node-RED's admin app parses JSON bodies before any route runs. A body it cannot parse becomes an
 * error that skips every route; without this handler express answers with an HTML page (and logs a
 * stack) whose SyntaxError text quotes part of the body, i.e. of the token.
 */
function bodyErrorReply(error: unknown): { status: number; body: ErrorBody } {
  const type = isRecord(error) && typeof error.type === 'string' ? error.type : '';
  const status = isRecord(error) && typeof error.status === 'number' ? error.status : 0;
  if (type === 'entity.parse.failed') {
    return {
      status: 400,
      body: {
        error: 'Invalid request body',
        code: 'INVALID_REQUEST',
        details: 'request body is not valid JSON',
      },
    };
  }
  if (type === 'entity.too.large') {
    return {
      status: 413,
      body: { error: 'Invalid request body', code: 'INVALID_REQUEST', details: 'request body is too large' },
    };
  }
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return {
      status: 415,
      body: {
        error: 'Unsupported Media Type',
        code: 'UNSUPPORTED_MEDIA_TYPE',
        details: 'request body encoding is not supported',
      },
    };
  }
  return {
    status: status >= 400 && status < 500 ? status : 400,
    body: {
      error: 'Invalid request body',
      code: 'INVALID_REQUEST',
      details: 'request body could not be read',
    },
  };
}

/**
 * Adds the routes to Node-RED's admin app, once per app. `RED` is the aqara-config module's, so its
 * RED._ reads the aqara-config catalog: the log lines are there, under `aqara-config.log`.
 */
export function registerAdminRoutes(RED: NodeAPI): void {
  const app = RED.httpAdmin as typeof RED.httpAdmin & { [ROUTES_MARK]?: true };
  // Node-RED without an admin API (httpAdminRoot: false) has nothing to add routes to.
  if (!app || app[ROUTES_MARK]) return;
  Object.defineProperty(app, ROUTES_MARK, { value: true });

  // Before every /aqara route of the admin app, including ones added later, and before the login check.
  app.use('/aqara', refuseCrossOrigin);

  app.post('/aqara/refresh-token', RED.auth.needsPermission('aqara-config.write'), (req, res) => {
    // postRefreshToken answers every failure itself; this only keeps a broken connection from becoming
    // an unhandled rejection.
    postRefreshToken(RED, req, res).catch((error: unknown) => {
      RED.log.error(RED._('aqara-config.log.route-unexpected', { type: errorName(error) }));
    });
  });
  app.get('/aqara/token-status', RED.auth.needsPermission('aqara-config.read'), (req, res) => {
    getTokenStatus(RED, req, res).catch((error: unknown) => {
      RED.log.error(RED._('aqara-config.log.route-unexpected', { type: errorName(error) }));
    });
  });
  app.get('/aqara/scenes', RED.auth.needsPermission('aqara-config.read'), (req, res) => {
    // getScenes answers every failure itself; this only keeps a broken connection from becoming an
    // unhandled rejection, which would stop Node-RED.
    getScenes(RED, req, res).catch((error: unknown) => {
      RED.log.error(RED._('aqara-config.log.route-unexpected', { type: errorName(error) }));
    });
  });
  const jsonErrors: AdminErrorHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const { status, body } = bodyErrorReply(error);
    reply(res, status, body);
  };
  app.use('/aqara', jsonErrors);
  // In Node-RED, RED.httpAdmin is the runtime's app mounted inside the editor API's app, and the body
  // parser runs in that outer one: its errors never enter RED.httpAdmin. Express records the outer app
  // as `parent`, so the handler goes there too (after everything Node-RED put there, and for /aqara only).
  if (app.parent) app.parent.use('/aqara', jsonErrors);
}
