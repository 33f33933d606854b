import { createHash } from 'node:crypto';
import { AqaraClient } from '../../lib/aqara/client';
import { bindQuotaGuard, rateLimiterForApp } from '../../lib/aqara/rate-limiter';
import type { Logger } from '../../lib/logger';
import { TokenManager } from '../../lib/tokens/manager';
import { TokenStore } from '../../lib/tokens/store';
import type { AccountIdentity } from './account-identity';
import type { ManagerSpec } from './config-spec';

/**
 * A config's token manager outlives its node: Node-RED rebuilds the config node on every full
 * deploy, and without this each deploy would throw away the cached access token and pay a refresh
 * (and a refresh-token rotation) for nothing. A manager is reused only when everything it was built
 * from is unchanged; the App Key is compared by hash so nothing here holds it.
 */

/**
 * After a config node stops without being removed, its manager waits this long for the next
 * instance of the same config (a full deploy stops and restarts everything). If none comes, e.g.
 * flows were stopped, the manager is closed.
 */
export const ORPHAN_GRACE_MS = 60_000;

/**
 * How long a refresh in flight is waited for before its manager's client is closed: longer than the
 * client's 10 s request timeout, shorter than Node-RED's 15 s close timeout.
 */
export const CLOSE_WAIT_MS = 12_000;

interface Held {
  fingerprint: string;
  manager: TokenManager;
  client: AqaraClient;
  /** The config node instance currently using the manager, so a late close of an old one is ignored. */
  owner: object | undefined;
  /** Log lines go to the current owner's node log, even when the manager was built by an older one. */
  logger: { target: Logger };
  orphanTimer: NodeJS.Timeout | undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A digest of the spec; the App Key enters only as its own hash. Keep-alive age and rate limit are
 * fixed when a manager is built, so a change to them needs a new manager too.
 */
function fingerprintOf(spec: ManagerSpec): string {
  return sha256(
    JSON.stringify([
      spec.appId,
      spec.keyId,
      sha256(spec.appKey),
      spec.baseUrl,
      spec.dbPath,
      spec.keepAliveMaxAgeMs,
      spec.rateLimit,
    ]),
  );
}

function forwardingLogger(holder: { target: Logger }): Logger {
  return {
    debug: (message) => holder.target.debug(message),
    info: (message) => holder.target.info(message),
    warn: (message) => holder.target.warn(message),
    error: (message) => holder.target.error(message),
  };
}

export class TokenManagerHolder {
  private held: Held | undefined;

  /** The push endpoint learns the account's openId and access tokens from the refresh answers. */
  constructor(private readonly identity: AccountIdentity) {}

  /** The live manager, if any. */
  get manager(): TokenManager | undefined {
    return this.held?.manager;
  }

  /**
   * The manager for this spec: the existing one when nothing that matters changed, else a new one
   * (the old one is closed once idle). Throws what the client or store throw (bad settings, unusable
   * database).
   */
  acquire(spec: ManagerSpec, owner: object, logger: Logger): TokenManager {
    const fingerprint = fingerprintOf(spec);
    const existing = this.held;
    if (existing && existing.fingerprint === fingerprint) {
      if (existing.orphanTimer) clearTimeout(existing.orphanTimer);
      existing.orphanTimer = undefined;
      existing.owner = owner;
      existing.logger.target = logger;
      return existing.manager;
    }
    // A deploy that changed the config does not wait for the old manager's refresh (the config node's
    // close returns at once): dispose lets it finish. The new manager waits for the database lease the
    // old one holds meanwhile, then refreshes with the token the old one stored.
    void this.dispose();

    const holder = { target: logger };
    const forward = forwardingLogger(holder);
    const store = TokenStore.open(spec.dbPath);
    const client = new AqaraClient({
      baseUrl: spec.baseUrl,
      appId: spec.appId,
      keyId: spec.keyId,
      appKey: spec.appKey,
      logger: forward,
    });
    // Aqara's quota is per app: every config of the same app (and the same limit) in this Node-RED
    // shares one guard. Configs of one app with different limits each get their own.
    const rateLimiter = rateLimiterForApp(spec.appId, { limit: spec.rateLimit });
    const manager = new TokenManager({
      configId: spec.configId,
      appId: spec.appId,
      client: this.identity.witness(client),
      store,
      logger: forward,
      keepAliveMaxAgeMs: spec.keepAliveMaxAgeMs,
      rateLimiter,
    });
    bindQuotaGuard(manager, rateLimiter);
    this.held = { fingerprint, manager, client, owner, logger: holder, orphanTimer: undefined };
    return manager;
  }

  /**
   * Called from the config node's close. Removed: the manager goes now (once idle). Merely stopped: it
   * is kept for `graceMs` so the next deploy's instance can take it over with its cached access token.
   */
  release(owner: object, removed: boolean, graceMs: number = ORPHAN_GRACE_MS): void {
    const held = this.held;
    if (!held || held.owner !== owner) return;
    if (removed) {
      void this.dispose();
      return;
    }
    held.owner = undefined;
    held.orphanTimer = setTimeout(() => void this.dispose(), graceMs);
    // Waiting for a redeploy is no reason to keep a stopping Node-RED process alive.
    held.orphanTimer.unref();
  }

  /**
   * Lets go of the manager and closes it once it is idle: a refresh in flight (a flow's call, or
   * keep-alive, which runs on while a manager waits for its next owner) ends and its rotated token is
   * written before the client is closed, or Aqara would rotate the token with nobody left to save it.
   * Nothing reaches the manager meanwhile: it is let go of and unheard. Every path that closes a
   * manager comes here. The promise settles once it is closed.
   */
  dispose(): Promise<void> {
    const held = this.held;
    if (!held) return Promise.resolve();
    this.held = undefined;
    if (held.orphanTimer) clearTimeout(held.orphanTimer);
    held.manager.removeAllListeners();
    // The store is shared by every config on the same file, so it stays open.
    return held.manager.idle(CLOSE_WAIT_MS).then(() => {
      held.manager.close();
      held.client.close();
    });
  }
}
