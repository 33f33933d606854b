import { IR_REMOTE_TTL_MS } from '../../lib/aqara/intents/ir-service';
import { configRuntime } from '../config/config-registry';
import { readConfigId, reply, replyListing, replyToAqaraFailure, withConfig } from './admin-replies';
import { accountRemote } from './account-remote';
import { wantsRefresh } from './listing-cache';
import type { AdminRequest, AdminResponse, NodeAPI } from '../node-red-api';

/**
 * GET /aqara/ir-keys?config=<id>&device=<did>[&refresh=1] (registered in routes.ts): a remote's type
 * and keys for the aqara-ir dialog's key picker, `{did, type, keys: [{keyId, name}], listedAt}`. The
 * did must be a remote of the account's device listing, else 404 with no infrared call; the keys
 * are the config's IR service's (one `query.ir.info` and one `query.ir.keys` per remote, kept a
 * day), shared with the aqara-ir nodes.
 */
export async function getIrKeys(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  const id = readConfigId(req);
  if (!id.ok) return reply(res, id.status, id.body);
  const did = typeof req.query.device === 'string' ? req.query.device.trim() : '';
  if (did === '') {
    return reply(res, 400, {
      error: 'Invalid request',
      code: 'INVALID_REQUEST',
      details: 'device is required (the did of an infrared remote, e.g. ir.1093827485263921152)',
    });
  }
  await withConfig(
    RED,
    req,
    res,
    async (config) => {
      const manager = config.tokenManager();
      const runtime = configRuntime(config.id);
      const remote = await accountRemote(runtime, manager, did);
      if (!remote.found) {
        return reply(res, 404, {
          error: 'Device not found',
          code: 'DEVICE_NOT_FOUND',
          details:
            remote.why === 'not-in-account'
              ? `${did} is not a device of this Aqara account`
              : `${did} is not an infrared remote (model ${remote.device?.model ?? 'unknown'})`,
        });
      }
      const listing = await runtime
        .listingCache(manager)
        .get(`ir-keys:${did}`, IR_REMOTE_TTL_MS, wantsRefresh(req.query.refresh), (forced) =>
          runtime.irService(manager).remote(did, forced),
        );
      const { type, keys } = listing.value;
      replyListing(res, listing, {
        did,
        name: remote.device.name,
        type,
        keys: keys.map(({ keyId, name }) => ({ keyId, name })),
      });
    },
    (error, config) => replyToAqaraFailure(RED, res, config.label, error),
  );
}
