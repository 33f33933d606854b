import {
  DEFINITIONS_TTL_MS,
  LISTING_TTL_MS,
  type ResourceDefinition,
} from '../../lib/aqara/intents/device-service';
import { listPositions } from '../../lib/aqara/intents/positions';
import { listAccountScenesShared } from '../../lib/aqara/intents/scenes';
import { readConfigId, reply, replyWithListing } from './admin-replies';
import type { AdminRequest, AdminResponse, NodeAPI } from '../node-red-api';

/**
 * What the editor's pickers list, from the deployed config's Aqara account (registered in routes.ts):
 *   GET /aqara/scenes?config=<id>[&refresh=1]                homes, rooms and their scenes
 *   GET /aqara/devices?config=<id>[&refresh=1]               the account's devices with their rooms
 *   GET /aqara/resources?config=<id>&model=<model>[&refresh=1] the model's resource definitions
 * Fetched with the config's own token manager (its cached access token, refresh and quota guard
 * apply), kept in its listing cache (listing-cache.ts), and each body says when it was made.
 * Aqara's failures become words for the dialog: AqaraError messages never carry a secret.
 */

/**
 * Aqara's scenes for the picker, fetched with the deployed config's own token manager (so its cached
 * access token, refresh and quota guard apply). Aqara's answers become words for the dialog:
 * AqaraError messages name Aqara's code and text and never carry a secret.
 */
export function getScenes(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
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

export function getDevices(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  return replyWithListing(
    RED,
    req,
    res,
    { key: 'devices', ttlMs: LISTING_TTL_MS },
    async (manager, forced, runtime): Promise<DeviceEntry[]> => {
      const devices = await runtime.deviceService(manager).listDevices(forced);
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

export async function getResources(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
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
    async (manager, forced, runtime) =>
      (await runtime.deviceService(manager).resourceDefinitions(model, forced)).map(toEntry),
    (resources) => ({ model, resources }),
  );
}
