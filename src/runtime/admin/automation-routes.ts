import { AUTOMATION_LISTING_TTL_MS } from '../../lib/aqara/intents/automations';
import { replyWithListing } from './admin-replies';
import type { AdminRequest, AdminResponse, NodeAPI } from '../node-red-api';

/**
 * GET /aqara/automations?config=<id>[&refresh=1] (registered in routes.ts): the account's automations
 * on its homes and rooms, for the aqara-automation dialog, `{automations: [{linkageId, name, enabled,
 * positionId, positionName}], listedAt}`, cached like the other listings (10 minutes). The list is
 * the config's automation service's, so a switch made by a node shows in the next answer.
 */
export function getAutomations(RED: NodeAPI, req: AdminRequest, res: AdminResponse): Promise<void> {
  return replyWithListing(
    RED,
    req,
    res,
    { key: 'automations', ttlMs: AUTOMATION_LISTING_TTL_MS },
    (manager, forced, runtime) => runtime.automationService(manager).list(forced),
    (automations) => ({
      automations: automations.map(({ linkageId, name, enabled, positionId, positionName }) => ({
        linkageId,
        name,
        enabled,
        positionId,
        positionName,
      })),
    }),
  );
}
