import { isAqaraError } from '../lib/aqara/errors';
import { isRecord } from '../lib/is-record';
import { checkRefreshToken } from '../lib/tokens/refresh-token-format';
import { ConfigProblemError } from './config-spec';
import { type DeployedConfig, deployedConfigs, findDeployedConfig } from './deployed';
import { LISTING_TTL_MS, listingCacheFor, wantsRefresh } from './listing-cache';
import { listAccountScenesShared, SceneCatalogError } from './scene-catalog';
import type { AdminErrorHandler, AdminRequest, AdminResponse, NodeAPI } from './types';

/**
 * The admin API of shared/interface.md, on Node-RED's admin app so Node-RED's own admin auth guards it:
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

interface ErrorBody {
  error: string;
  code: string;
  details: string;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; body: ErrorBody };

function fail<T>(status: number, error: string, code: string, details: string): Outcome<T> {
  return { ok: false, status, body: { error, code, details } };
}

function invalid<T>(details: string): Outcome<T> {
  return fail(400, 'Invalid request body', 'INVALID_REQUEST', details);
}

function configNotFound<T>(details: string): Outcome<T> {
  return fail(404, 'Config node not found', 'CONFIG_NOT_FOUND', details);
}

/** What an unexpected failure is called in the log: its class, never its text. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export function reply(res: AdminResponse, status: number, body: unknown): void {
  // Token status and errors describe secrets' state; no proxy or browser should keep them.
  res.set('Cache-Control', 'no-store');
  res.status(status).json(body);
}

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

/** `config` from the JSON body, else from the query string; absent or empty means "the only one". */
export function readConfigId(req: AdminRequest): Outcome<string | undefined> {
  const body = req.body;
  const raw = isRecord(body) && Object.hasOwn(body, 'config') ? body.config : req.query.config;
  if (raw === undefined || raw === null || raw === '') return { ok: true, value: undefined };
  if (typeof raw !== 'string')
    return invalid('config must be a single string: the id of an aqara-config node');
  return { ok: true, value: raw.trim() };
}

/** The deployed config named by id, or the only deployed one when no id was given. */
export function pickConfig(id: string | undefined): Outcome<DeployedConfig> {
  if (id !== undefined) {
    const config = findDeployedConfig(id);
    if (config) return { ok: true, value: config };
    return configNotFound('no deployed aqara-config node has this id - deploy the config first');
  }
  const all = deployedConfigs();
  if (all.length === 1) return { ok: true, value: all[0] };
  if (all.length === 0) return configNotFound('no aqara-config node is deployed - deploy one first');
  const list = all.map((config) => `${config.id} (${config.label})`).join(', ');
  return fail(
    400,
    'Config node required',
    'CONFIG_REQUIRED',
    `${all.length} aqara-config nodes are deployed; say which one with "config": ${list}`,
  );
}

/** Errors thrown while acting on a config: its settings are unusable, or the token database failed. */
export function replyToFailure(RED: NodeAPI, res: AdminResponse, error: unknown): void {
  if (error instanceof ConfigProblemError) {
    reply(res, 409, { error: 'Config node not usable', code: 'CONFIG_INVALID', details: error.message });
  } else if (isAqaraError(error) && error.kind === 'storage') {
    RED.log.error(RED._('aqara-config.log.route-storage', { reason: error.message }));
    reply(res, 500, { error: 'Token storage failed', code: 'STORAGE_ERROR', details: error.message });
  } else {
    // Unknown failures are logged by name only: their text was not written with secrecy in mind.
    RED.log.error(RED._('aqara-config.log.route-unexpected', { type: errorName(error) }));
    reply(res, 500, { error: 'Internal error', code: 'INTERNAL_ERROR', details: 'see the Node-RED log' });
  }
}

function postRefreshToken(RED: NodeAPI, req: AdminRequest, res: AdminResponse): void {
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
  const id = readConfigId(req);
  if (!id.ok) return reply(res, id.status, id.body);
  const config = pickConfig(id.value);
  if (!config.ok) return reply(res, config.status, config.body);
  try {
    const { updatedAt } = config.value.setRefreshToken(token.value);
    reply(res, 200, { message: 'Refresh token updated successfully', updated_at: updatedAt.toISOString() });
  } catch (error) {
    replyToFailure(RED, res, error);
  }
}

function getTokenStatus(RED: NodeAPI, req: AdminRequest, res: AdminResponse): void {
  const id = readConfigId(req);
  if (!id.ok) return reply(res, id.status, id.body);
  const config = pickConfig(id.value);
  if (!config.ok) return reply(res, config.status, config.body);
  try {
    reply(res, 200, config.value.tokenStatus());
  } catch (error) {
    replyToFailure(RED, res, error);
  }
}

/**
 * Aqara's scenes for the picker, fetched with the deployed config's own token manager (so its cached
 * access token, refresh and quota guard apply). Aqara's answers become words for the dialog:
 * AqaraError messages name Aqara's code and text and never carry a secret.
 */
async function getScenes(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  const id = readConfigId(req);
  if (!id.ok) return reply(res, id.status, id.body);
  const config = pickConfig(id.value);
  if (!config.ok) return reply(res, config.status, config.body);
  try {
    // Each listing can cost up to 100 calls of the app's quota: kept 10 minutes (listing-cache.ts).
    const manager = config.value.tokenManager();
    const listing = await listingCacheFor(manager).get(
      'scenes',
      LISTING_TTL_MS,
      wantsRefresh(req.query.refresh),
      () => listAccountScenesShared(manager),
    );
    reply(res, 200, {
      ...listing.value,
      listedAt: new Date(listing.at).toISOString(),
      ...(listing.refreshRefused ? { refreshRefused: 'refreshed less than a minute ago' } : {}),
    });
  } catch (error) {
    if (isAqaraError(error) && error.kind === 'not_configured') {
      reply(res, 409, { error: 'No refresh token', code: 'TOKEN_NOT_CONFIGURED', details: error.message });
    } else if ((isAqaraError(error) && error.kind !== 'storage') || error instanceof SceneCatalogError) {
      RED.log.warn(
        RED._('aqara-config.log.route-scenes-failed', { name: config.value.label, reason: error.message }),
      );
      reply(res, 502, { error: 'Aqara request failed', code: 'AQARA_ERROR', details: error.message });
    } else {
      replyToFailure(RED, res, error);
    }
  }
}

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

  app.post('/aqara/refresh-token', RED.auth.needsPermission('aqara-config.write'), (req, res) =>
    postRefreshToken(RED, req, res),
  );
  app.get('/aqara/token-status', RED.auth.needsPermission('aqara-config.read'), (req, res) =>
    getTokenStatus(RED, req, res),
  );
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
