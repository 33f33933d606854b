import type { DeviceInfo } from '../../lib/aqara/intents/device-service';
import { isIrRemoteModel } from '../../lib/aqara/intents/ir-service';
import type { TokenManager } from '../../lib/tokens/manager';
import type { ConfigRuntime } from '../config/config-runtime';

/**
 * Whether a did is an infrared remote of the config's account, by the account's device listing (the
 * device service's, cached 10 minutes) alone: the key route asks Aqara nothing about a did that is
 * not one, so a typo or a stranger's did costs no infrared call.
 */
export type AccountRemote =
  | { found: true; device: DeviceInfo }
  | { found: false; why: 'not-in-account' | 'not-a-remote'; device?: DeviceInfo };

export async function accountRemote(
  runtime: ConfigRuntime,
  manager: TokenManager,
  did: string,
): Promise<AccountRemote> {
  const devices = await runtime.deviceService(manager).listDevices();
  const device = devices.find((candidate) => candidate.did === did);
  if (!device) return { found: false, why: 'not-in-account' };
  if (!isIrRemoteModel(device.model)) return { found: false, why: 'not-a-remote', device };
  return { found: true, device };
}
