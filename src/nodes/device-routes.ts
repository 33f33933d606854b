import type { ResourceDefinition } from '../lib/aqara/intents/devices';
import { listPositions } from '../lib/aqara/intents/positions';
import { quotaGuardOf } from '../lib/aqara/rate-limiter';
import { readConfigId, reply, replyWithListing, withConfig } from './admin-replies';
import { deviceServiceFor } from './device-services';
import { DEFINITIONS_TTL_MS, LISTING_TTL_MS } from './listing-cache';
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

/** A definition as the editor gets it: the model is the request's. */
export type ResourceEntry = Omit<ResourceDefinition, 'model'>;

function toEntry({ model: _model, ...entry }: ResourceDefinition): ResourceEntry {
  return entry;
}

function getDevices(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  return replyWithListing(
    RED,
    req,
    res,
    { key: 'devices', ttlMs: LISTING_TTL_MS },
    async (manager, forced): Promise<DeviceEntry[]> => {
      const devices = await deviceServiceFor(manager).listDevices(forced);
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
    (devices) => ({ devices }),
  );
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
  await replyWithListing(
    RED,
    req,
    res,
    { key: `resources:${model}`, ttlMs: DEFINITIONS_TTL_MS },
    async (manager, forced) =>
      (await deviceServiceFor(manager).resourceDefinitions(model, forced)).map(toEntry),
    (resources) => ({ model, resources }),
  );
}

function getQuota(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  return withConfig(RED, req, res, (config) => {
    const guard = quotaGuardOf(config.tokenManager());
    reply(res, 200, guard ? { guarded: true, ...guard.usage() } : { guarded: false });
  });
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
  app.get('/aqara/quota', RED.auth.needsPermission('aqara-config.read'), (req, res) => {
    getQuota(RED, req, res).catch(unexpected);
  });
}
