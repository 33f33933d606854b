import { isAqaraError } from '../lib/aqara/errors';
import type { ResourceDefinition } from '../lib/aqara/intents/devices';
import { listPositions } from '../lib/aqara/intents/positions';
import { quotaGuardOf } from '../lib/aqara/rate-limiter';
import { pickConfig, readConfigId, reply, replyToFailure } from './admin-routes';
import { deviceServiceFor } from './device-services';
import { DEFINITIONS_TTL_MS, LISTING_TTL_MS, listingCacheFor, wantsRefresh } from './listing-cache';
import type { AdminRequest, AdminResponse, NodeAPI } from './types';

/**
 * The editor's device and resource pickers, and the config dialog's quota view:
 *   GET /aqara/devices?config=<id>[&refresh=1]               the account's devices with their rooms
 *   GET /aqara/resources?config=<id>&model=<model>[&refresh=1] the model's resource definitions
 *   GET /aqara/quota?config=<id>                             calls spent, by kind
 * Listings come from a cache (listing-cache.ts) and each body says when it was made.
 */

const ROUTES_MARK = Symbol.for('@metron/node-red-aqara-cloud:device-routes');

export interface DeviceEntry {
  did: string;
  name: string;
  model: string;
  modelType: number;
  state: number;
  positionId: string;
  positionName: string;
}

export interface ResourceEntry {
  resourceId: string;
  name: string;
  description: string;
  access: number | string | null;
  unit: number | string | null;
  minValue: number | null;
  maxValue: number | null;
  enums: string[] | null;
}

function toEntry(def: ResourceDefinition): ResourceEntry {
  const { resourceId, name, description, access, unit, minValue, maxValue, enums } = def;
  return { resourceId, name, description, access, unit, minValue, maxValue, enums };
}

/** Aqara's failures as the scene route answers them: 409 without a token, 502 when Aqara refused. */
function replyToAqaraFailure(RED: NodeAPI, res: AdminResponse, label: string, error: unknown): void {
  if (isAqaraError(error) && error.kind === 'not_configured') {
    reply(res, 409, { error: 'No refresh token', code: 'TOKEN_NOT_CONFIGURED', details: error.message });
  } else if (isAqaraError(error) && error.kind !== 'storage') {
    RED.log.warn(RED._('aqara-config.log.route-scenes-failed', { name: label, reason: error.message }));
    reply(res, 502, { error: 'Aqara request failed', code: 'AQARA_ERROR', details: error.message });
  } else {
    replyToFailure(RED, res, error);
  }
}

async function getDevices(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  const id = readConfigId(req);
  if (!id.ok) return reply(res, id.status, id.body);
  const config = pickConfig(id.value);
  if (!config.ok) return reply(res, config.status, config.body);
  try {
    const manager = config.value.tokenManager();
    const service = deviceServiceFor(manager);
    const listing = await listingCacheFor(manager).get(
      'devices',
      LISTING_TTL_MS,
      wantsRefresh(req.query.refresh),
      async (forced): Promise<DeviceEntry[]> => {
        const devices = await service.listDevices(forced);
        const positions = await listPositions(manager);
        return devices.map((device) => ({
          did: device.did,
          name: device.name,
          model: device.model,
          modelType: device.modelType,
          state: device.state,
          positionId: device.positionId,
          positionName: positions.get(device.positionId)?.positionName ?? device.positionId,
        }));
      },
    );
    reply(res, 200, {
      devices: listing.value,
      listedAt: new Date(listing.at).toISOString(),
      ...(listing.refreshRefused ? { refreshRefused: 'refreshed less than a minute ago' } : {}),
    });
  } catch (error) {
    replyToAqaraFailure(RED, res, config.value.label, error);
  }
}

async function getResources(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  const id = readConfigId(req);
  if (!id.ok) return reply(res, id.status, id.body);
  const model = typeof req.query.model === 'string' ? req.query.model.trim() : '';
  if (model === '') {
    return reply(res, 400, {
      error: 'Invalid request',
      code: 'INVALID_REQUEST',
      details: 'model is required (a device model such as lumi.switch.b2nacn02)',
    });
  }
  const config = pickConfig(id.value);
  if (!config.ok) return reply(res, config.status, config.body);
  try {
    const manager = config.value.tokenManager();
    const service = deviceServiceFor(manager);
    const listing = await listingCacheFor(manager).get(
      `resources:${model}`,
      DEFINITIONS_TTL_MS,
      wantsRefresh(req.query.refresh),
      async (forced) => (await service.resourceDefinitions(model, forced)).map(toEntry),
    );
    reply(res, 200, {
      model,
      resources: listing.value,
      listedAt: new Date(listing.at).toISOString(),
      ...(listing.refreshRefused ? { refreshRefused: 'refreshed less than a minute ago' } : {}),
    });
  } catch (error) {
    replyToAqaraFailure(RED, res, config.value.label, error);
  }
}

function getQuota(RED: NodeAPI, req: AdminRequest, res: AdminResponse): void {
  const id = readConfigId(req);
  if (!id.ok) return reply(res, id.status, id.body);
  const config = pickConfig(id.value);
  if (!config.ok) return reply(res, config.status, config.body);
  try {
    const guard = quotaGuardOf(config.value.tokenManager());
    if (!guard) return reply(res, 200, { guarded: false });
    reply(res, 200, { guarded: true, ...guard.usage() });
  } catch (error) {
    replyToFailure(RED, res, error);
  }
}

/** Adds the routes once per admin app; called right after the other admin routes are added. */
export function registerDeviceRoutes(RED: NodeAPI): void {
  const app = RED.httpAdmin as typeof RED.httpAdmin & { [ROUTES_MARK]?: true };
  if (!app || app[ROUTES_MARK]) return;
  Object.defineProperty(app, ROUTES_MARK, { value: true });
  const unexpected = (error: unknown): void => {
    RED.log.error(
      RED._('aqara-config.log.route-unexpected', {
        type: error instanceof Error ? error.name : typeof error,
      }),
    );
  };
  app.get('/aqara/devices', RED.auth.needsPermission('aqara-config.read'), (req, res) => {
    getDevices(RED, req, res).catch(unexpected);
  });
  app.get('/aqara/resources', RED.auth.needsPermission('aqara-config.read'), (req, res) => {
    getResources(RED, req, res).catch(unexpected);
  });
  app.get('/aqara/quota', RED.auth.needsPermission('aqara-config.read'), (req, res) =>
    getQuota(RED, req, res),
  );
}
