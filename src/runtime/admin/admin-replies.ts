import { isAqaraError } from '../../lib/aqara/errors';
import { SceneCatalogError } from '../../lib/aqara/intents/scenes';
import { isRecord } from '../../lib/is-record';
import { logText, TokenStoreError } from '../../lib/tokens/store';
import { ConfigProblemError } from '../config/config-spec';
import { configRuntime, deployedConfigs, findDeployedConfig } from '../config/config-registry';
import type { ConfigRuntime, DeployedConfig } from '../config/config-runtime';
import type { TokenManager } from '../../lib/tokens/manager';
import { type Listing, wantsRefresh } from './listing-cache';
import type { AdminRequest, AdminResponse, NodeAPI } from '../node-red-api';

/**
 * How every /aqara admin route answers: JSON bodies `{error, code, details}` for failures, the config a
 * request names (or the only one deployed), and one mapping from what went wrong to a status code.
 */

/** A write lock that outlasted a paste's wait passes within moments. */
const RETRY_AFTER_SECONDS = 5;

export interface ErrorBody {
  error: string;
  code: string;
  details: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; body: ErrorBody };

function fail<T>(status: number, error: string, code: string, details: string): Outcome<T> {
  return { ok: false, status, body: { error, code, details } };
}

export function invalid<T>(details: string): Outcome<T> {
  return fail(400, 'Invalid request body', 'INVALID_REQUEST', details);
}

function configNotFound<T>(details: string): Outcome<T> {
  return fail(404, 'Config node not found', 'CONFIG_NOT_FOUND', details);
}

/** What an unexpected failure is called in the log: its class, never its text. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export function reply(res: AdminResponse, status: number, body: unknown): void {
  // Token status and errors describe secrets' state; no proxy or browser should keep them.
  res.set('Cache-Control', 'no-store');
  res.status(status).json(body);
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
  } else if (error instanceof TokenStoreError && error.locked) {
    // Another process still held the write lock after a few seconds: worth trying again shortly.
    RED.log.warn(RED._('aqara-config.log.route-storage', { reason: logText(error) }));
    res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    reply(res, 503, { error: 'Token storage busy', code: 'STORAGE_BUSY', details: error.message });
  } else if (isAqaraError(error) && error.kind === 'storage') {
    RED.log.error(RED._('aqara-config.log.route-storage', { reason: logText(error) }));
    reply(res, 500, { error: 'Token storage failed', code: 'STORAGE_ERROR', details: error.message });
  } else {
    // Unknown failures are logged by name only: their text was not written with secrecy in mind.
    RED.log.error(RED._('aqara-config.log.route-unexpected', { type: errorName(error) }));
    reply(res, 500, { error: 'Internal error', code: 'INTERNAL_ERROR', details: 'see the Node-RED log' });
  }
}

/**
 * Aqara's failures behind a listing: 409 without a token, 502 when Aqara refused (its text names its
 * code, never a secret), everything else as any other route.
 */
export function replyToAqaraFailure(RED: NodeAPI, res: AdminResponse, label: string, error: unknown): void {
  if (isAqaraError(error) && error.kind === 'not_configured') {
    reply(res, 409, { error: 'No refresh token', code: 'TOKEN_NOT_CONFIGURED', details: error.message });
  } else if ((isAqaraError(error) && error.kind !== 'storage') || error instanceof SceneCatalogError) {
    RED.log.warn(RED._('aqara-config.log.route-scenes-failed', { name: label, reason: error.message }));
    reply(res, 502, { error: 'Aqara request failed', code: 'AQARA_ERROR', details: error.message });
  } else {
    replyToFailure(RED, res, error);
  }
}

/** A cached listing's 200: its fields, when it was made, and whether a refresh was refused. */
export function replyListing(res: AdminResponse, listing: Listing<unknown>, fields: object): void {
  reply(res, 200, {
    ...fields,
    listedAt: new Date(listing.at).toISOString(),
    ...(listing.refreshRefused ? { refreshRefused: 'refreshed less than a minute ago' } : {}),
  });
}

/**
 * The frame of a route that acts on one config: picks it from the request (answering 4xx itself when
 * it cannot), then runs `act`; what `act` throws is answered by `onFailure` (by default as any route).
 */
export async function withConfig(
  RED: NodeAPI,
  req: AdminRequest,
  res: AdminResponse,
  act: (config: DeployedConfig) => Promise<void> | void,
  onFailure: (error: unknown, config: DeployedConfig) => void = (error) => replyToFailure(RED, res, error),
): Promise<void> {
  const id = readConfigId(req);
  if (!id.ok) return reply(res, id.status, id.body);
  const config = pickConfig(id.value);
  if (!config.ok) return reply(res, config.status, config.body);
  try {
    await act(config.value);
  } catch (error) {
    onFailure(error, config.value);
  }
}

/**
 * A picker's listing route: the config's cached listing under `key` (made by `list` when missing or
 * stale, or on `?refresh=1` at most once a minute), its body made by `fields`, Aqara's failures as 409/502.
 */
export function replyWithListing<T>(
  RED: NodeAPI,
  req: AdminRequest,
  res: AdminResponse,
  cache: { key: string; ttlMs: number },
  list: (manager: TokenManager, forced: boolean, runtime: ConfigRuntime) => Promise<T>,
  fields: (value: T) => object,
): Promise<void> {
  return withConfig(
    RED,
    req,
    res,
    async (config) => {
      const manager = config.tokenManager();
      const runtime = configRuntime(config.id);
      const listing = await runtime
        .listingCache(manager)
        .get(cache.key, cache.ttlMs, wantsRefresh(req.query.refresh), (forced) =>
          list(manager, forced, runtime),
        );
      replyListing(res, listing, fields(listing.value));
    },
    (error, config) => replyToAqaraFailure(RED, res, config.label, error),
  );
}
