import { quotaGuardOf } from '../../lib/aqara/rate-limiter';
import { findConfigRuntime } from '../config/config-registry';
import { reply, withConfig } from './admin-replies';
import type { AdminRequest, AdminResponse, NodeAPI } from '../node-red-api';

/**
 * What the config dialog shows of a deployed config's state (registered in routes.ts):
 *   GET /aqara/quota?config=<id>         calls spent of the app's quota, by kind
 *   GET /aqara/push-status?config=<id>   whether push is on and when the last one arrived
 * Neither says anything secret (never the push secret).
 */

export function getQuota(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  return withConfig(RED, req, res, (config) => {
    const guard = quotaGuardOf(config.tokenManager());
    reply(res, 200, guard ? { guarded: true, ...guard.usage() } : { guarded: false });
  });
}

/** For the config dialog: whether push is on and when the last one arrived (never the secret). */
export function getPushStatus(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  // The same config rules as every admin route: `config`, or the only one deployed.
  return withConfig(RED, req, res, (config) => {
    const hub = findConfigRuntime(config.id)?.existingPushHub;
    reply(res, 200, {
      push: hub?.settings?.enabled ?? false,
      poll_seconds: hub?.settings?.pollSeconds ?? 0,
      last_push_at: hub?.lastPushAt === undefined ? null : new Date(hub.lastPushAt).toISOString(),
      listeners: hub?.listenerCount ?? 0,
    });
  });
}
