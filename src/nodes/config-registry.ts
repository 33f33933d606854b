import { createHash } from 'node:crypto';
import { AqaraClient } from '../lib/aqara/client';
import { bindQuotaGuard, rateLimiterForApp } from '../lib/aqara/rate-limiter';
import type { Logger } from '../lib/logger';
import { TokenManager } from '../lib/tokens/manager';
import type { TokenStatus } from '../lib/tokens/status';
import { TokenStore } from '../lib/tokens/store';
import type { ManagerSpec } from './config-spec';
import { witnessGrants } from './grant-witness';

/**
 * What this Node-RED holds per aqara-config id, in one map:
 * - the deployed config node's view for the admin routes, present only while that node runs, so a
 *   route never acts on a config the user has not deployed (or has removed);
 * - its token manager, which outlives the node: Node-RED rebuilds the config node on every full
 *   deploy, and without this each deploy would throw away the cached access token and pay a refresh
 *   (and a refresh-token rotation) for nothing. A manager is reused only when everything it was built
 *   from is unchanged; the App Key is compared by hash so the registry never holds it.
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

/** What the admin routes may do with a deployed aqara-config node. */
export interface DeployedConfig {
  readonly id: string;
  readonly label: string;
  /** The token status (the admin route's JSON). */
  tokenStatus(): TokenStatus;
  /**
   * Stores a pasted refresh token, waiting a few seconds for another process's write lock; rejects with
   * ConfigProblemError when the config cannot be used.
   */
  setRefreshToken(token: string): Promise<{ updatedAt: Date }>;
  /** The config's token manager (for Aqara calls); throws ConfigProblemError when the config cannot be used. */
  tokenManager(): TokenManager;
}

interface Managed {
  fingerprint: string;
  manager: TokenManager;
  client: AqaraClient;
  /** The config node instance currently using the manager, so a late close of an old one is ignored. */
  owner: object | undefined;
  /** Log lines go to the current owner's node log, even when the manager was built by an older one. */
  logger: { target: Logger };
  orphanTimer: NodeJS.Timeout | undefined;
}

interface Entry {
  deployed?: DeployedConfig;
  managed?: Managed;
}

const entries = new Map<string, Entry>();

function entryOf(configId: string): Entry {
  let entry = entries.get(configId);
  if (!entry) {
    entry = {};
    entries.set(configId, entry);
  }
  return entry;
}

/** An id with neither a deployed node nor a manager is forgotten. */
function prune(configId: string): void {
  const entry = entries.get(configId);
  if (entry && !entry.deployed && !entry.managed) entries.delete(configId);
}

// --- deployed config nodes (the admin routes' view) ---

export function addDeployedConfig(config: DeployedConfig): void {
  entryOf(config.id).deployed = config;
}

/** Only the instance that added itself is removed: a newer instance with the same id stays. */
export function removeDeployedConfig(config: DeployedConfig): void {
  const entry = entries.get(config.id);
  if (entry?.deployed !== config) return;
  entry.deployed = undefined;
  prune(config.id);
}

export function findDeployedConfig(id: string): DeployedConfig | undefined {
  return entries.get(id)?.deployed;
}

export function deployedConfigs(): DeployedConfig[] {
  return [...entries.values()].flatMap((entry) => (entry.deployed ? [entry.deployed] : []));
}

// --- token managers ---

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

/**
 * Takes the config's manager out of the registry and closes it once it is idle: a refresh in flight
 * (a flow's call, or keep-alive, which runs on while a manager waits for its next owner) ends and its
 * rotated token is written before the client is closed, or Aqara would rotate the token with nobody
 * left to save it. Nothing reaches the manager meanwhile: it is out of the registry and unheard.
 * Every path that closes a manager comes here. The promise settles once it is closed.
 */
function dispose(configId: string): Promise<void> {
  const entry = entries.get(configId);
  const managed = entry?.managed;
  if (!entry || !managed) return Promise.resolve();
  entry.managed = undefined;
  prune(configId);
  if (managed.orphanTimer) clearTimeout(managed.orphanTimer);
  managed.manager.removeAllListeners();
  // The store is shared by every config on the same file, so it stays open.
  return managed.manager.idle(CLOSE_WAIT_MS).then(() => {
    managed.manager.close();
    managed.client.close();
  });
}

/**
 * The manager for this config: the existing one when nothing that matters changed, else a new one
 * (the old one is closed once idle). Throws what the client or store throw (bad settings, unusable
 * database).
 */
export function acquireManager(spec: ManagerSpec, owner: object, logger: Logger): TokenManager {
  const fingerprint = fingerprintOf(spec);
  const existing = entries.get(spec.configId)?.managed;
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
  void dispose(spec.configId);

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
    // The push endpoint learns the account's openId and access tokens from the refresh answers.
    client: witnessGrants(spec.configId, client),
    store,
    logger: forward,
    keepAliveMaxAgeMs: spec.keepAliveMaxAgeMs,
    rateLimiter,
  });
  bindQuotaGuard(manager, rateLimiter);
  entryOf(spec.configId).managed = {
    fingerprint,
    manager,
    client,
    owner,
    logger: holder,
    orphanTimer: undefined,
  };
  return manager;
}

/**
 * Called from the config node's close. Removed: the manager goes now (once idle). Merely stopped: it
 * is kept for `graceMs` so the next deploy's instance can take it over with its cached access token.
 */
export function releaseManager(
  configId: string,
  owner: object,
  removed: boolean,
  graceMs: number = ORPHAN_GRACE_MS,
): void {
  const managed = entries.get(configId)?.managed;
  if (!managed || managed.owner !== owner) return;
  if (removed) {
    void dispose(configId);
    return;
  }
  managed.owner = undefined;
  managed.orphanTimer = setTimeout(() => void dispose(configId), graceMs);
  // Waiting for a redeploy is no reason to keep a stopping Node-RED process alive.
  managed.orphanTimer.unref();
}

/** The live manager of a config id, if any: used by tests to prove a redeploy kept it. */
export function managerOf(configId: string): TokenManager | undefined {
  return entries.get(configId)?.managed?.manager;
}

/** Closes every manager once idle, e.g. when a test runtime is torn down. */
export async function closeAllManagers(): Promise<void> {
  await Promise.all([...entries.keys()].map((configId) => dispose(configId)));
}
