import type { TokenManager } from '../../lib/tokens/manager';
import { MIN_POLL_SECONDS, POLL_SECONDS } from '../editor-settings';
import { nodeLogger } from '../node-logger';
import { readNumberSetting, quoteSetting } from '../number-setting';
import type { PushHub } from './push-hub';
import type { Translate } from '../node-red-api';
import type { Node } from '../node-red-api';

/**
 * The aqara-config's push settings (`push`, `pollSeconds`, the `pushSecret` credential) handed to
 * the config's push hub; kept out of aqara-config.ts so that file only calls in and out.
 */

/** At least 128 bits: 22 base64url characters (the editor makes 43) or 32 hex digits. */
const SECRET_FORMAT = /^[A-Za-z0-9_-]{22,256}$/;

export interface PushDef {
  id: string;
  push?: unknown;
  pollSeconds?: unknown;
}

export function readPollSeconds(raw: unknown, warn: (text: string) => void, t: Translate): number {
  const reading = readNumberSetting(raw, POLL_SECONDS);
  if (!reading.valid)
    warn(t('aqara-config.push.bad-poll', { value: quoteSetting(raw), fallback: POLL_SECONDS.fallback }));
  if (reading.value > 0 && reading.value < MIN_POLL_SECONDS) return MIN_POLL_SECONDS;
  return reading.value;
}

/** Hands this deploy's push settings to the config's hub (which outlives the deploy). */
export function setUpPush(
  hub: PushHub,
  def: PushDef,
  node: Node,
  manager: TokenManager | undefined,
  dbPath: string | undefined,
  appKey: string,
  t: Translate,
): void {
  const enabled = def.push === true || def.push === 'true';
  const pollSeconds = readPollSeconds(def.pollSeconds, (text) => node.warn(text), t);
  const given = node.credentials?.pushSecret;
  let secret: string | undefined;
  if (enabled) {
    if (typeof given === 'string' && SECRET_FORMAT.test(given)) secret = given;
    // Never quote the secret, only say what is wrong with it.
    else node.warn(t('aqara-config.push.bad-secret'));
  }
  hub.settings = {
    enabled: enabled && secret !== undefined && dbPath !== undefined,
    pollSeconds,
    secret,
    appKey,
    dbPath: dbPath ?? '',
    logger: nodeLogger(node),
    t,
    ensureIdentity: async () => {
      if (!manager) throw new Error(t('aqara-config.push.unusable'));
      await manager.getAccessToken();
    },
  };
}
