import { DeviceService } from '../lib/aqara/intents/devices';
import type { TokenManager } from '../lib/tokens/manager';

/**
 * One DeviceService per token manager, shared by the device nodes and the editor's device routes:
 * its listing, definition and unreadable-resource caches belong to the account, not to one node.
 * Keyed weakly, so a manager closed and dropped by the registry takes its caches with it.
 */
const services = new WeakMap<TokenManager, DeviceService>();

export function deviceServiceFor(manager: TokenManager): DeviceService {
  let service = services.get(manager);
  if (!service) {
    service = new DeviceService(manager);
    services.set(manager, service);
  }
  return service;
}
