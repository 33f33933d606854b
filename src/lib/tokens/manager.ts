import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { AqaraResponse, TokenGrant } from '../aqara/client';
import { AqaraError, isAqaraError } from '../aqara/errors';
import type { CallKind, RateLimiter } from '../aqara/rate-limiter';
import { type Clock, systemClock } from '../clock';
import { type Logger, silentLogger } from '../logger';
import { readExpiresIn } from './expires-in';
import { NO_REFRESH_TOKEN_MESSAGE, REFRESH_TOKEN_EXPIRED_MESSAGE } from './messages';
import { accessTokenProblem, checkRefreshToken } from './refresh-token-format';
import { asRefreshError, describeRefreshFailure } from './refresh-failure';
import {
  type AccessTokenStatus,
  NOT_CONFIGURED_STATUS_MESSAGE,
  type TokenState,
  type TokenStatus,
} from './status';
import { AccessTokenSeal } from './access-token-seal';
import { newLeaseOwner } from './lease-owner';
import { logText, TokenStoreError } from './store-error';
import type { AnyTokenStore, CommitResult, SharedAccessToken, StoredToken } from './token-store';

export type { AccessTokenStatus, TokenState, TokenStatus } from './status';

/** What the manager needs of the Aqara client; AqaraClient satisfies it. */
export interface TokenClient {
  refreshToken(refreshToken: string): Promise<TokenGrant>;
  request<T = unknown>(intent: string, data: unknown, accessToken?: string): Promise<AqaraResponse<T>>;
}

export interface TokenManagerOptions {
  configId: string;
  appId: string;
  client: TokenClient;
  /** SQLite's TokenStore (one host) or PostgresTokenStore (several hosts share the row). */
  store: AnyTokenStore;
  /**
   * The app's App Key: with a store that shares access tokens (PostgreSQL) it seals the access token
   * the hosts share (access-token-seal.ts). Without it each host keeps its own, as with SQLite.
   */
  appKey?: string;
  clock?: Clock;
  logger?: Logger;
  /** An access token this close to its expiry is treated as expired (default 5 minutes). */
  safetyBufferMs?: number;
  /** Attempts for a refresh that fails transiently, the first included (default 3). */
  refreshAttempts?: number;
  /** First back-off between refresh attempts; doubles each time (default 500 ms). */
  refreshBackoffMs?: number;
  /** How long another process may hold the refresh lease before it is taken over (default 30 s). */
  leaseMs?: number;
  /** How often a process waiting for another's refresh looks at the database (default 50 ms). */
  leasePollMs?: number;
  /**
   * Refresh when the stored refresh token is older than this, even with no calls, so an idle
   * refresh token never reaches Aqara's 30-day limit (default 7 days; 0 turns keep-alive off).
   */
  keepAliveMaxAgeMs?: number;
  /** How often the keep-alive looks at the token's age (default 1 hour). */
  keepAliveIntervalMs?: number;
  /** The app's client-side quota guard, shared by every config of the same Aqara app. */
  rateLimiter?: RateLimiter;
}

/** What the keep-alive did on one tick. */
export type KeepAliveOutcome = 'disabled' | 'not_configured' | 'fresh' | 'busy' | 'refreshed' | 'failed';

interface CachedAccessToken {
  token: string;
  /** null when Aqara gave no usable expiry: the token is used until Aqara answers 108. */
  expiresAt: number | null;
}

/** A rotated refresh token that could not be written yet: it is the only live one, so it is kept. */
interface UnsavedRotation {
  token: string;
  /** The token the database row still holds, for the compare-and-swap once the write works. */
  replaces: string;
  /** The access token of the same answer, for a store that shares it. */
  access?: SharedAccessToken;
}

/**
 * What an asynchronous store last said about the row: status() and the state are synchronous, and
 * PostgreSQL cannot be read synchronously. SQLite is simply read each time instead.
 */
type RowSighting =
  | { kind: 'unknown' }
  | { kind: 'known'; token: StoredToken | undefined }
  | { kind: 'failed'; error: AqaraError };

/** Why a refresh was started: a keep-alive renews the refresh token even while an access token is valid. */
type RefreshPurpose = 'access' | 'keep-alive';

const noop = (): void => undefined;

/** Aqara's own 429, or an HTTP 429 from anything in between: either way, slow down. */
function isRateLimited(error: unknown): boolean {
  return isAqaraError(error) && (error.code === 429 || error.httpStatus === 429);
}

/** 108, 109, 804 and their kin: the access token was refused, so a new one may help. */
function isAccessTokenRefusal(error: unknown): error is AqaraError {
  return isAqaraError(error) && error.kind === 'access_token';
}

export const DEFAULT_SAFETY_BUFFER_MS = 5 * 60 * 1000;
export const DEFAULT_KEEP_ALIVE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const DEFAULT_KEEP_ALIVE_INTERVAL_MS = 3600 * 1000;
/** Aqara's documented default access-token lifetime, used until a refresh tells us the real one. */
const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 7 * 24 * 3600 * 1000;
/** A refresh token dies this long after its access token expires, if nobody refreshes it. */
const REFRESH_TOKEN_GRACE_MS = 30 * 24 * 3600 * 1000;
/** Node's timers overflow past 2^31-1 ms and then fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_WRITE_RETRY_MS = 60_000;
/** How long a refresh waits for another process's SQLite write lock before it gives up. */
const LOCK_WAIT_MS = 10_000;
const LOCKED_POLL_MS = 200;
/** How long a pasted token waits for another process's write lock: a person is waiting for the answer. */
export const PASTE_LOCK_WAIT_MS = 5_000;
/** A state read while another process held the lock is read again, at most this far apart. */
const MAX_STATE_RECHECK_MS = 5_000;
/** Access tokens Aqara refused that a shared store might still offer; a few are plenty. */
const REMEMBERED_REFUSALS = 8;
const NOT_READ_YET_MESSAGE = 'the token database has not answered yet';

/**
 * One per Aqara account/config. The access token lives only here, in memory. One refresh serves
 * every concurrent caller; a rotated refresh token is committed to the database before the new access
 * token is handed to anyone; other processes on the same database are coordinated by the store's lease.
 */
export class TokenManager extends EventEmitter {
  readonly configId: string;
  private readonly appId: string;
  private readonly client: TokenClient;
  private readonly store: AnyTokenStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly safetyBufferMs: number;
  private readonly refreshAttempts: number;
  private readonly refreshBackoffMs: number;
  private readonly leaseMs: number;
  private readonly leasePollMs: number;
  private readonly leaseOwner = newLeaseOwner(randomUUID());
  private readonly keepAliveMaxAgeMs: number;
  private readonly rateLimiter: RateLimiter | undefined;
  /** Set when the store shares access tokens and the App Key is known: see access-token-seal.ts. */
  private readonly sealer: AccessTokenSeal | undefined;
  /** Access tokens Aqara refused here: never taken from a shared store again. Memory only. */
  private readonly refusedAccessTokens = new Set<string>();
  private sighting: RowSighting = { kind: 'unknown' };
  /** An asynchronous write of the unsaved rotated token, while it runs. */
  private unsavedWrite: Promise<void> | undefined;

  private cached: CachedAccessToken | undefined;
  /** The last access token Aqara accepted: one refused after that was revoked, not refused outright. */
  private acceptedToken: string | undefined;
  private refreshInFlight: Promise<string> | undefined;
  private unsaved: UnsavedRotation | undefined;
  /** True while a refresh sends the rotated token held in memory. */
  private sendingUnsaved = false;
  private writeRetryTimer: NodeJS.Timeout | undefined;
  private writeRetryDelayMs = 1000;
  private lastError: AqaraError | undefined;
  private lastRefreshAnswerLost = false;
  private currentState: TokenState;
  private closed = false;
  private callsInFlight = 0;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private stateRecheckTimer: NodeJS.Timeout | undefined;
  private stateRecheckMs = LOCKED_POLL_MS;
  private accessTokenLifetimeMs = DEFAULT_ACCESS_TOKEN_LIFETIME_MS;
  /** Counts pasted tokens: a refresh started before a paste must not overwrite what the paste set. */
  private pasteGeneration = 0;

  constructor(options: TokenManagerOptions) {
    super();
    this.configId = options.configId;
    this.appId = options.appId;
    this.client = options.client;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.safetyBufferMs = options.safetyBufferMs ?? DEFAULT_SAFETY_BUFFER_MS;
    this.refreshAttempts = Math.max(1, options.refreshAttempts ?? 3);
    this.refreshBackoffMs = options.refreshBackoffMs ?? 500;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.leasePollMs = options.leasePollMs ?? 50;
    this.keepAliveMaxAgeMs = Math.max(0, options.keepAliveMaxAgeMs ?? DEFAULT_KEEP_ALIVE_MAX_AGE_MS);
    this.rateLimiter = options.rateLimiter;
    this.sealer =
      this.store.sharesAccessToken && options.appKey
        ? new AccessTokenSeal(options.appKey, this.appId, this.configId)
        : undefined;
    this.currentState = this.deriveState();
    if (this.keepAliveMaxAgeMs > 0) {
      this.startKeepAlive(
        Math.min(options.keepAliveIntervalMs ?? DEFAULT_KEEP_ALIVE_INTERVAL_MS, MAX_TIMER_MS),
      );
    }
    // The first look at an asynchronous store: the state follows when it answers.
    if (this.store.mode === 'async') void this.reloadRow();
  }

  get state(): TokenState {
    return this.currentState;
  }

  /** True while a rotated refresh token exists only in memory (its write failed so far). */
  get hasUnsavedToken(): boolean {
    return this.unsaved !== undefined;
  }

  /** A valid cached token costs nothing; otherwise all callers share one refresh. */
  getAccessToken(): Promise<string> {
    const cached = this.cached;
    if (cached && !this.isExpired(cached)) return Promise.resolve(cached.token);
    return this.startRefresh();
  }

  /**
   * Calls an intent; a dead access token is dropped, refreshed once and the call retried once. A token
   * Aqara keeps refusing surfaces after that one retry. Only when the retry's token was itself
   * superseded meanwhile (replaced by another caller, or revoked after Aqara had accepted it) does the
   * call get one more token and one more try: that refusal is a new event, not the same one again.
   * `kind` is what the quota guard counts the call as, when not the intent's kind in its table.
   */
  async call<T = unknown>(intent: string, data: unknown, kind?: CallKind): Promise<AqaraResponse<T>> {
    if (this.unsaved) this.retryUnsavedWrite();
    this.callsInFlight++;
    try {
      const token = await this.getAccessToken();
      try {
        return await this.send<T>(intent, data, token, kind);
      } catch (error) {
        if (!isAccessTokenRefusal(error)) throw error;
        this.dropRefused(token, intent, error);
        const fresh = await this.getAccessToken();
        try {
          return await this.send<T>(intent, data, fresh, kind);
        } catch (retryError) {
          if (!isAccessTokenRefusal(retryError) || !this.supersededMeanwhile(fresh)) throw retryError;
          this.dropRefused(fresh, intent, retryError);
          // The last try: whatever it answers is the call's answer, so this can never loop.
          return await this.send<T>(intent, data, await this.getAccessToken(), kind);
        }
      }
    } finally {
      this.callsInFlight--;
    }
  }

  /** A late 108 for a token that was already replaced must not cost another refresh. */
  private dropRefused(token: string, intent: string, error: AqaraError): void {
    if (this.sealer) this.rememberRefusal(token);
    if (this.cached?.token !== token) return;
    this.logger.info(`Aqara refused the access token on ${intent} (code ${error.code}); refreshing once`);
    this.cached = undefined;
  }

  private rememberRefusal(token: string): void {
    this.refusedAccessTokens.add(token);
    if (this.refusedAccessTokens.size > REMEMBERED_REFUSALS) {
      const oldest = this.refusedAccessTokens.values().next().value;
      if (oldest !== undefined) this.refusedAccessTokens.delete(oldest);
    }
  }

  /**
   * A refused retry token that another caller already dropped or replaced, or that Aqara had accepted
   * before (so it was revoked since, e.g. by a refresh elsewhere), is stale: a newer token may work.
   * A fresh token refused from the start is Aqara refusing this app's tokens: no second refresh then.
   */
  private supersededMeanwhile(token: string): boolean {
    return this.cached?.token !== token || this.acceptedToken === token;
  }

  /**
   * A token a person pasted: checked, stored durably, then the cached access token is dropped. A token
   * that cannot be one is refused before it replaces the stored one, which may be the only live one.
   */
  setRefreshToken(token: string): { updatedAt: Date } {
    const checked = this.checkPasted(token);
    const store = this.store;
    if (store.mode !== 'sync') {
      throw new AqaraError('this token database answers asynchronously: use pasteRefreshToken', {
        kind: 'caller',
      });
    }
    return this.pasted(store.write(this.configId, checked, this.appId, new Date(this.clock.now())));
  }

  private checkPasted(token: string): string {
    const check = checkRefreshToken(token);
    if (!check.ok) throw new AqaraError(`not stored: ${check.problem}`, { kind: 'caller' });
    return check.token;
  }

  /** What follows a pasted token's durable write. */
  private pasted(stored: StoredToken): { updatedAt: Date } {
    if (this.store.mode === 'async') this.sighting = { kind: 'known', token: stored };
    this.pasteGeneration++;
    this.cached = undefined;
    this.unsaved = undefined;
    this.stopWriteRetry();
    this.lastError = undefined;
    this.lastRefreshAnswerLost = false;
    this.logger.info('a new refresh token was stored; the cached access token was dropped');
    this.updateState(true);
    return { updatedAt: stored.updatedAt };
  }

  /**
   * setRefreshToken for a person waiting on an answer: another process's write lock passes within
   * moments, so it is waited for (without blocking the event loop) before the paste fails.
   */
  async pasteRefreshToken(token: string, maxWaitMs = PASTE_LOCK_WAIT_MS): Promise<{ updatedAt: Date }> {
    const store = this.store;
    if (store.mode === 'sync') return this.waitingForLock(() => this.setRefreshToken(token), maxWaitMs);
    const checked = this.checkPasted(token);
    const now = new Date(this.clock.now());
    const stored = await this.waitingForLock(
      () => store.write(this.configId, checked, this.appId, now),
      maxWaitMs,
    );
    return this.pasted(stored);
  }

  /**
   * The admin route's JSON shape. Synchronous: with SQLite it reads the row; with PostgreSQL it says
   * what the database said last (every refresh, paste and keep-alive look updates that), and
   * currentStatus() reads the row first.
   */
  status(): TokenStatus {
    let stored: StoredToken | undefined;
    const store = this.store;
    if (store.mode === 'sync') {
      try {
        stored = store.read(this.configId);
      } catch (error) {
        return this.unreadableStatus(error as Error);
      }
    } else {
      const sighting = this.sighting;
      if (sighting.kind === 'failed') return this.unreadableStatus(sighting.error);
      if (sighting.kind === 'unknown') {
        return {
          configured: Boolean(this.unsaved),
          message: NOT_READ_YET_MESSAGE,
          last_error: this.lastError?.message ?? null,
          state: this.state,
        };
      }
      stored = sighting.token;
    }
    const refused = stored?.refusedAt
      ? `${REFRESH_TOKEN_EXPIRED_MESSAGE} (Aqara refused it at ${stored.refusedAt.toISOString()})`
      : undefined;
    const lastError = this.lastError?.message ?? refused ?? null;
    if (!stored && !this.unsaved) {
      return {
        configured: false,
        message: NOT_CONFIGURED_STATUS_MESSAGE,
        last_error: lastError,
        state: this.state,
      };
    }
    const storedAt = stored?.updatedAt;
    return {
      configured: true,
      refresh_token_updated_at: storedAt?.toISOString(),
      access_token_status: this.accessTokenStatus(),
      access_token_expires_in_seconds: this.accessTokenSecondsLeft(),
      refresh_token_expires_at: storedAt
        ? new Date(storedAt.getTime() + this.accessTokenLifetimeMs + REFRESH_TOKEN_GRACE_MS).toISOString()
        : undefined,
      last_error: lastError,
      state: this.state,
    };
  }

  /** Whether a token is stored is unknown: say what is wrong rather than "not configured". */
  private unreadableStatus(error: Error): TokenStatus {
    const reason = error.message;
    return { configured: Boolean(this.unsaved), message: reason, last_error: reason, state: 'error' };
  }

  /** status() after a fresh look at the row: the same for SQLite, one round trip for PostgreSQL. */
  async currentStatus(): Promise<TokenStatus> {
    if (this.store.mode === 'async') await this.reloadRow();
    return this.status();
  }

  /**
   * One keep-alive look: refreshes when the stored refresh token is older than the keep-alive age.
   * It never starts while a call is in flight, so it cannot pull a token from under a request.
   * A token dated in the future means the wall clock went back: its age is unknown, so it is refreshed.
   */
  async keepAliveTick(): Promise<KeepAliveOutcome> {
    if (this.keepAliveMaxAgeMs === 0 || this.closed) return 'disabled';
    if (this.callsInFlight > 0 || this.refreshInFlight) return 'busy';
    let updatedAt: number;
    try {
      const stored = this.store.mode === 'sync' ? this.store.read(this.configId) : await this.readRow();
      if (!stored) return 'not_configured';
      updatedAt = stored.updatedAt.getTime();
    } catch {
      return 'failed';
    }
    const age = this.clock.now() - updatedAt;
    if (age >= 0 && age < this.keepAliveMaxAgeMs && !this.unsaved) return 'fresh';
    this.logger.info('keep-alive: refreshing an idle refresh token before Aqara lets it expire');
    // The cached access token stays usable until a refresh has really replaced it.
    try {
      await this.startRefresh('keep-alive');
      return 'refreshed';
    } catch {
      return 'failed';
    }
  }

  /**
   * Resolves once no refresh is in flight and no rotated token waits to be written (or after maxWaitMs).
   * A process that stops before then would lose the only live refresh token: stopping code waits here.
   */
  async idle(maxWaitMs = 12_000): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    const inFlight = this.refreshInFlight;
    if (inFlight) {
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, maxWaitMs);
      });
      await Promise.race([inFlight.then(noop, noop), cap]);
      clearTimeout(timer);
    }
    while (this.unsaved && Date.now() < deadline) {
      this.retryUnsavedWrite();
      if (this.unsavedWrite) await this.unsavedWrite;
      if (this.unsaved) await new Promise((resolve) => setTimeout(resolve, LOCKED_POLL_MS));
    }
  }

  close(): void {
    if (this.unsaved) this.retryUnsavedWrite();
    if (this.unsavedWrite) {
      // PostgreSQL: the write is on its way; idle() is where a stopping process waits for it.
      this.logger.warn('closing while the rotated refresh token is still being written; idle() waits for it');
    } else if (this.unsaved) {
      this.logger.error(
        'closing with a rotated refresh token that could not be saved: the stored one is dead, ' +
          'so a new refresh token will have to be pasted',
      );
    }
    this.closed = true;
    this.stopWriteRetry();
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    if (this.stateRecheckTimer) clearTimeout(this.stateRecheckTimer);
    this.stateRecheckTimer = undefined;
  }

  /** The one shared refresh: started by whoever needs it first, awaited by everybody else. */
  private startRefresh(purpose: RefreshPurpose = 'access'): Promise<string> {
    if (!this.refreshInFlight) {
      this.refreshInFlight = this.refreshWithRetries(purpose).finally(() => {
        this.refreshInFlight = undefined;
        this.updateState();
      });
      this.updateState();
    }
    return this.refreshInFlight;
  }

  private startKeepAlive(intervalMs: number): void {
    const schedule = (): void => {
      this.keepAliveTimer = setTimeout(() => {
        void this.keepAliveTick().finally(() => {
          if (!this.closed) schedule();
        });
      }, intervalMs);
      this.keepAliveTimer.unref();
    };
    schedule();
  }

  /** Every request goes through the app's quota guard; a 429 pauses the whole app. */
  private async send<T>(
    intent: string,
    data: unknown,
    token: string,
    kind: CallKind | undefined,
  ): Promise<AqaraResponse<T>> {
    // No await at all without a quota guard: each await is a turn of the microtask queue per call.
    if (this.rateLimiter) await this.rateLimiter.acquire(intent, kind);
    try {
      const response = await this.client.request<T>(intent, data, token);
      this.acceptedToken = token;
      this.rateLimiter?.succeeded();
      return response;
    } catch (error) {
      if (isRateLimited(error)) this.rateLimiter?.penalize();
      throw error;
    }
  }

  private isExpired(cached: CachedAccessToken): boolean {
    return cached.expiresAt !== null && this.clock.now() >= cached.expiresAt - this.safetyBufferMs;
  }

  private accessTokenStatus(): AccessTokenStatus {
    if (!this.cached) return 'not_cached';
    if (this.cached.expiresAt === null) return 'cached_no_expiry';
    return this.isExpired(this.cached) ? 'expired' : 'valid';
  }

  private accessTokenSecondsLeft(): number | null {
    if (!this.cached || this.cached.expiresAt === null) return null;
    return Math.max(0, Math.floor((this.cached.expiresAt - this.clock.now()) / 1000));
  }

  private async refreshWithRetries(purpose: RefreshPurpose): Promise<string> {
    const generation = this.pasteGeneration;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.refreshOnce(generation, purpose);
      } catch (error) {
        const failure = asRefreshError(error);
        // A failure of a token a person has since replaced says nothing about the new one.
        if (generation !== this.pasteGeneration) throw failure;
        this.lastError = failure;
        // A lost answer may have rotated the token on Aqara's side: replaying it blindly is not safe.
        const retry = failure.kind === 'transient' && !failure.answerLost && attempt < this.refreshAttempts;
        if (!retry || this.closed) {
          this.logger.error(logText(failure));
          this.emit('refresh-failed', failure);
          throw failure;
        }
        const delay = this.refreshBackoffMs * 2 ** (attempt - 1);
        this.logger.warn(`${logText(failure)}; retrying the refresh in ${delay} ms (attempt ${attempt + 1})`);
        await this.clock.sleep(delay);
      }
    }
  }

  private async refreshOnce(generation: number, purpose: RefreshPurpose): Promise<string> {
    // A host whose access token is refused or expired looks first: another host may have refreshed.
    if (this.sealer && purpose === 'access') {
      const row = await this.readRow().catch(() => undefined);
      const adopted = this.adopt(row, generation);
      if (adopted !== undefined) return adopted;
    }
    // The quota wait comes before the lease, so a queued refresh never blocks other processes.
    if (this.rateLimiter) await this.rateLimiter.acquire('config.auth.refreshToken');
    const { token: sent, row } = await this.leaseTokenToSend();
    if (this.sealer && row) {
      // The lease came after another host's refresh: its access token (or renewal) is ours too.
      const shortcut = this.instead(row, generation, purpose);
      if (shortcut !== undefined) {
        await this.releaseLease();
        return shortcut;
      }
    }
    let grant: TokenGrant;
    this.sendingUnsaved = this.unsaved !== undefined;
    try {
      grant = await this.client.refreshToken(sent);
    } catch (error) {
      const released = this.releaseLease();
      if (released) await released;
      if (isRateLimited(error)) this.rateLimiter?.penalize();
      const failure = describeRefreshFailure(error, this.lastRefreshAnswerLost);
      if (generation === this.pasteGeneration) {
        // Remembered until Aqara's verdict on the stored token explains it, or a refresh works.
        if (failure.answerLost) this.lastRefreshAnswerLost = true;
        else if (failure.kind === 'refresh_token') this.lastRefreshAnswerLost = false;
      }
      if (failure.kind === 'refresh_token') {
        const marked = this.markRefused(sent);
        if (marked) await marked;
      }
      throw failure;
    } finally {
      this.sendingUnsaved = false;
    }
    const access = this.sealer ? this.shareable(grant) : undefined;
    if (grant.refreshToken && grant.refreshToken !== sent) {
      await this.commitRotation(sent, grant.refreshToken, access);
    } else if (!this.unsaved) {
      const renewed = this.recordRenewal(sent, access);
      if (renewed) await renewed;
    } else {
      const released = this.releaseLease();
      if (released) await released;
    }
    // Checked only now: a rotated refresh token in the same answer is the only live one and is kept.
    const unusable = accessTokenProblem(grant.accessToken);
    if (unusable !== undefined) {
      throw new AqaraError(
        `token refresh failed: Aqara sent an access token that cannot be used (${unusable})`,
        {
          kind: 'transient',
          intent: 'config.auth.refreshToken',
        },
      );
    }
    // The callers waiting on this refresh get its access token, but after a paste it is not kept.
    if (generation !== this.pasteGeneration) return grant.accessToken;
    this.lastRefreshAnswerLost = false;
    if (!this.unsaved) this.lastError = undefined;
    this.cached = { token: grant.accessToken, expiresAt: this.expiryOf(grant.expiresIn) };
    this.logger.info('access token refreshed');
    this.emit('refreshed');
    return grant.accessToken;
  }

  /** The access token of a refresh answer, sealed for the other hosts; none if it cannot be used. */
  private shareable(grant: TokenGrant): SharedAccessToken | undefined {
    if (!this.sealer || accessTokenProblem(grant.accessToken) !== undefined) return undefined;
    const reading = readExpiresIn(grant.expiresIn);
    return {
      sealed: this.sealer.seal(grant.accessToken),
      expiresAt: reading.kind === 'seconds' ? this.clock.now() + reading.seconds * 1000 : null,
    };
  }

  /**
   * The access token another host stored, when it is usable here: sealed by this config's App Key,
   * not expired (with the safety buffer) and never refused here. Costs no Aqara call and no quota.
   */
  private adopt(row: StoredToken | undefined, generation: number): string | undefined {
    const shared = row?.access;
    if (!shared || !this.sealer) return undefined;
    if (shared.expiresAt !== null && this.clock.now() >= shared.expiresAt - this.safetyBufferMs)
      return undefined;
    const token = this.sealer.open(shared.sealed);
    if (token === undefined || this.refusedAccessTokens.has(token)) return undefined;
    if (generation !== this.pasteGeneration) return token;
    this.cached = { token, expiresAt: shared.expiresAt };
    this.lastRefreshAnswerLost = false;
    if (!this.unsaved) this.lastError = undefined;
    this.logger.info('access token taken from the token database: another host had refreshed it');
    this.emit('adopted');
    return token;
  }

  /**
   * What the lease holder does instead of refreshing, if anything: use the access token another host
   * stored while this one waited, or, for a keep-alive, nothing when another host renewed the refresh
   * token meanwhile (one keep-alive refresh for the whole cluster).
   */
  private instead(row: StoredToken, generation: number, purpose: RefreshPurpose): string | undefined {
    if (this.unsaved) return undefined;
    if (purpose === 'access') return this.adopt(row, generation);
    const age = this.clock.now() - row.updatedAt.getTime();
    if (age < 0 || age >= this.keepAliveMaxAgeMs) return undefined;
    const cached = this.cached;
    if (cached && !this.isExpired(cached)) return cached.token;
    return this.adopt(row, generation);
  }

  /**
   * Every refresh takes the lease, one that sends a rotated token held in memory too: otherwise another
   * process could take the lease meanwhile and send the same token once the write retry has stored it.
   * Only a database nobody can write excuses the lease: nobody else can take it or store a token then.
   * `row` is the row the lease was taken on, when the token sent is the row's.
   */
  private async leaseTokenToSend(): Promise<{ token: string; row?: StoredToken }> {
    // PostgreSQL: a write of the unsaved token still on its way must not overlap this lease.
    if (this.unsavedWrite) await this.unsavedWrite;
    if (!this.unsaved) {
      const row = await this.takeLease();
      return { token: row.refreshToken, row };
    }
    let leased: StoredToken;
    try {
      leased = await this.takeLease();
    } catch (error) {
      const unwritable = error instanceof TokenStoreError && !error.locked;
      if (!unwritable || !this.unsaved) throw error;
      return { token: this.unsaved.token };
    }
    const unsaved = this.unsaved;
    if (!unsaved) return { token: leased.refreshToken, row: leased };
    if (leased.refreshToken === unsaved.replaces) return { token: unsaved.token };
    // The row moved on while we waited (our token got written, or somebody pasted one): the row wins.
    this.unsaved = undefined;
    this.stopWriteRetry();
    return { token: leased.refreshToken, row: leased };
  }

  /** Waits while another process refreshes, then takes the lease on the newest stored token. */
  private async takeLease(): Promise<StoredToken> {
    const start = this.clock.now();
    const deadline = start + this.leaseMs * 2;
    const lockDeadline = start + LOCK_WAIT_MS;
    for (;;) {
      const store = this.store;
      const lease =
        store.mode === 'sync'
          ? store.acquireRefreshLease(this.configId, this.leaseOwner, this.clock.now(), this.leaseMs)
          : await store.acquireRefreshLease(this.configId, this.leaseOwner, this.clock.now(), this.leaseMs);
      if (store.mode === 'async' && (lease.outcome === 'acquired' || lease.outcome === 'busy')) {
        this.sighting = { kind: 'known', token: lease.token };
      }
      if (lease.outcome === 'acquired') return lease.token;
      if (lease.outcome === 'no_token') {
        if (store.mode === 'async') this.sighting = { kind: 'known', token: undefined };
        throw new AqaraError(NO_REFRESH_TOKEN_MESSAGE, { kind: 'not_configured' });
      }
      if (this.clock.now() > (lease.outcome === 'locked' ? lockDeadline : deadline)) {
        const why =
          lease.outcome === 'locked'
            ? lease.reason !== undefined
              ? `${lease.reason}; not refreshing without the refresh lease, try again shortly`
              : 'token database: another process has held its write lock too long; not refreshing, try again shortly'
            : 'another process has been refreshing the Aqara token for too long; try again';
        throw new AqaraError(why, { kind: lease.outcome === 'locked' ? 'storage' : 'transient' });
      }
      // Each look at a locked database blocks for the busy timeout: look less often then.
      await this.clock.sleep(
        lease.outcome === 'locked' ? Math.max(this.leasePollMs, LOCKED_POLL_MS) : this.leasePollMs,
      );
    }
  }

  /**
   * The rotated token is the only live one. It is written before anything else; if the write fails it
   * stays in memory, is used for the next refresh instead of the dead one, and the write is retried.
   */
  private async commitRotation(sent: string, rotated: string, access?: SharedAccessToken): Promise<void> {
    const replaces = this.unsaved?.replaces ?? sent;
    try {
      const outcome = await this.commitWaitingForLock(replaces, rotated, access);
      if (outcome === 'superseded') {
        this.logger.warn('a refresh token was pasted while a refresh was running; keeping the pasted one');
      } else {
        this.sawRotation(rotated, access);
      }
      this.unsaved = undefined;
      this.stopWriteRetry();
    } catch (error) {
      this.unsaved = { token: rotated, replaces, access };
      this.lastError = error as AqaraError;
      this.logger.error(
        `the rotated refresh token could not be saved and is held in memory only: ${logText(error)}. ` +
          'It will be written as soon as the database accepts it; until then a restart would lose it.',
      );
      this.scheduleWriteRetry();
    }
  }

  /** Another process's write lock passes within moments: wait for it rather than hold the token in memory. */
  private commitWaitingForLock(
    replaces: string,
    rotated: string,
    access: SharedAccessToken | undefined,
  ): Promise<CommitResult> {
    return this.waitingForLock(() => this.writeRotation(replaces, rotated, access), LOCK_WAIT_MS);
  }

  /**
   * Runs a store operation again while it fails in a way that passes by itself (another connection
   * holds SQLite's write lock, the PostgreSQL server restarts), up to maxWaitMs.
   */
  private async waitingForLock<T>(operation: () => T | Promise<T>, maxWaitMs: number): Promise<T> {
    const deadline = this.clock.now() + maxWaitMs;
    for (;;) {
      try {
        const answer = operation();
        return answer instanceof Promise ? await answer : answer;
      } catch (error) {
        if (!(error instanceof TokenStoreError && error.locked) || this.clock.now() >= deadline) throw error;
        await this.clock.sleep(LOCKED_POLL_MS);
      }
    }
  }

  /** SQLite releases at once (nothing to await); PostgreSQL answers a promise that never rejects. */
  private releaseLease(): void | Promise<void> {
    return this.store.releaseLease(this.configId, this.leaseOwner);
  }

  /** A failed write here only makes the keep-alive refresh sooner: worth a warning, not a failure. */
  private recordRenewal(token: string, access: SharedAccessToken | undefined): void | Promise<void> {
    const now = new Date(this.clock.now());
    const failed = async (error: unknown): Promise<void> => {
      const released = this.releaseLease();
      if (released) await released;
      this.logger.warn(`could not record the refresh time: ${logText(error)}`);
    };
    const store = this.store;
    if (store.mode === 'async') {
      return store
        .recordRenewal(this.configId, this.leaseOwner, token, now, access)
        .then(() => this.sawRenewal(token, now, access), failed);
    }
    try {
      store.recordRenewal(this.configId, this.leaseOwner, token, now);
    } catch (error) {
      store.releaseLease(this.configId, this.leaseOwner);
      this.logger.warn(`could not record the refresh time: ${logText(error)}`);
    }
  }

  /** Remembered in the database so a restart does not show a dead token as ready. */
  private markRefused(token: string): void | Promise<void> {
    const now = new Date(this.clock.now());
    const failed = (error: unknown): void => {
      this.logger.warn(`could not record that Aqara refused the refresh token: ${logText(error)}`);
    };
    const store = this.store;
    if (store.mode === 'async') {
      return store.markRefused(this.configId, token, now).then(() => this.sawRefusal(token, now), failed);
    }
    try {
      store.markRefused(this.configId, token, now);
    } catch (error) {
      failed(error);
    }
  }

  /** The compare-and-swap write of a rotated token over the one the database still holds. */
  private writeRotation(
    replaces: string,
    rotated: string,
    access?: SharedAccessToken,
  ): CommitResult | Promise<CommitResult> {
    const now = new Date(this.clock.now());
    const store = this.store;
    if (store.mode === 'sync')
      return store.commitRotation(this.configId, this.leaseOwner, replaces, rotated, now);
    return store.commitRotation(this.configId, this.leaseOwner, replaces, rotated, now, access);
  }

  private retryUnsavedWrite(): void {
    const unsaved = this.unsaved;
    if (!unsaved) return;
    // Storing the token being sent would release the lease while it is in flight; its refresh stores
    // what replaces it anyway.
    if (this.sendingUnsaved) {
      this.scheduleWriteRetry();
      return;
    }
    const store = this.store;
    if (store.mode === 'async') {
      this.retryUnsavedWriteAsync(unsaved);
      return;
    }
    try {
      this.writeRotation(unsaved.replaces, unsaved.token);
      this.unsavedSaved();
    } catch {
      this.scheduleWriteRetry();
    }
  }

  /**
   * PostgreSQL's write takes a round trip, during which a refresh could take the lease and send the
   * same token: so it does not start while a refresh runs (that refresh stores what replaces the
   * token, or leaves it to the next retry), and a refresh waits for a write already on its way.
   */
  private retryUnsavedWriteAsync(unsaved: UnsavedRotation): void {
    if (this.unsavedWrite) return;
    if (this.refreshInFlight) {
      this.scheduleWriteRetry();
      return;
    }
    const write = this.writeRotation(unsaved.replaces, unsaved.token, unsaved.access);
    this.unsavedWrite = Promise.resolve(write)
      .then(
        (outcome) => {
          if (this.unsaved !== unsaved) return;
          if (outcome === 'saved') this.sawRotation(unsaved.token, unsaved.access);
          this.unsavedSaved();
        },
        () => this.scheduleWriteRetry(),
      )
      .finally(() => {
        this.unsavedWrite = undefined;
      });
  }

  private unsavedSaved(): void {
    this.unsaved = undefined;
    this.stopWriteRetry();
    if (this.lastError?.kind === 'storage') this.lastError = undefined;
    this.logger.info('the rotated refresh token held in memory is now saved');
    this.updateState(true);
  }

  private scheduleWriteRetry(): void {
    if (this.writeRetryTimer || this.closed) return;
    this.writeRetryTimer = setTimeout(() => {
      this.writeRetryTimer = undefined;
      this.writeRetryDelayMs = Math.min(this.writeRetryDelayMs * 2, MAX_WRITE_RETRY_MS);
      this.retryUnsavedWrite();
    }, this.writeRetryDelayMs);
    this.writeRetryTimer.unref();
  }

  private stopWriteRetry(): void {
    if (this.writeRetryTimer) clearTimeout(this.writeRetryTimer);
    this.writeRetryTimer = undefined;
    this.writeRetryDelayMs = 1000;
  }

  private expiryOf(raw: unknown): number | null {
    const reading = readExpiresIn(raw);
    if (reading.kind === 'seconds') {
      this.accessTokenLifetimeMs = reading.seconds * 1000;
      return this.clock.now() + reading.seconds * 1000;
    }
    if (reading.kind === 'unreadable') {
      this.logger.warn(
        `Aqara sent an unreadable expiresIn (${reading.shape}); the token is used until Aqara refuses it`,
      );
    }
    return null;
  }

  private deriveState(): TokenState {
    if (this.refreshInFlight) return 'refreshing';
    if (this.unsaved) return 'error';
    switch (this.lastError?.kind) {
      case 'refresh_token':
        return 'expired';
      case 'app_credentials':
        return 'auth_error';
      case undefined:
      case 'not_configured':
        break;
      default:
        return 'error';
    }
    const store = this.store;
    if (store.mode === 'async') return this.stateOfSighting();
    try {
      const stored = store.read(this.configId);
      this.stateRecheckMs = LOCKED_POLL_MS;
      if (!stored) return 'no_token';
      return stored.refusedAt ? 'expired' : 'ready';
    } catch (error) {
      // Another process's write lock passes by itself: look again rather than show an error until a redeploy.
      if (error instanceof TokenStoreError && error.locked) this.scheduleStateRecheck();
      return 'error';
    }
  }

  /**
   * Until PostgreSQL first answers, 'refreshing' (yellow, and no notice asking a person to act);
   * after a failure, 'error' and another look later, so the state recovers with the server.
   */
  private stateOfSighting(): TokenState {
    const sighting = this.sighting;
    if (sighting.kind === 'unknown') return 'refreshing';
    if (sighting.kind === 'failed') {
      this.scheduleStateRecheck();
      return 'error';
    }
    if (!sighting.token) return 'no_token';
    return sighting.token.refusedAt ? 'expired' : 'ready';
  }

  private scheduleStateRecheck(): void {
    if (this.stateRecheckTimer || this.closed) return;
    this.stateRecheckTimer = setTimeout(() => {
      this.stateRecheckTimer = undefined;
      this.stateRecheckMs = Math.min(this.stateRecheckMs * 2, MAX_STATE_RECHECK_MS);
      if (this.store.mode === 'async') void this.reloadRow();
      else this.updateState();
    }, this.stateRecheckMs);
    this.stateRecheckTimer.unref();
  }

  /** An asynchronous store's row, remembered for status() and the state; a failure is remembered too. */
  private async readRow(): Promise<StoredToken | undefined> {
    const store = this.store;
    if (store.mode === 'sync') return store.read(this.configId);
    try {
      const token = await store.read(this.configId);
      this.sighting = { kind: 'known', token };
      this.stateRecheckMs = LOCKED_POLL_MS;
      return token;
    } catch (error) {
      this.sighting = {
        kind: 'failed',
        error: error instanceof AqaraError ? error : new AqaraError(String(error), { kind: 'storage' }),
      };
      throw error;
    }
  }

  /** A fresh look at the row, then the state it implies. */
  private async reloadRow(): Promise<void> {
    await this.readRow().catch(() => undefined);
    if (!this.closed) this.updateState();
  }

  /** What this host just wrote, so the remembered row of an asynchronous store does not lag behind it. */
  private sawRotation(rotated: string, access: SharedAccessToken | undefined): void {
    this.amendSighting((row) => ({
      ...row,
      refreshToken: rotated,
      updatedAt: new Date(this.clock.now()),
      refusedAt: undefined,
      generation: row.generation + 1,
      access,
    }));
  }

  private sawRenewal(token: string, now: Date, access: SharedAccessToken | undefined): void {
    this.amendSighting((row) =>
      row.refreshToken === token ? { ...row, updatedAt: now, refusedAt: undefined, access } : row,
    );
  }

  private sawRefusal(token: string, now: Date): void {
    this.amendSighting((row) => (row.refreshToken === token ? { ...row, refusedAt: now } : row));
  }

  private amendSighting(change: (row: StoredToken) => StoredToken): void {
    const sighting = this.sighting;
    if (this.store.mode !== 'async' || sighting.kind !== 'known' || !sighting.token) return;
    this.sighting = { kind: 'known', token: change(sighting.token) };
  }

  private updateState(forceEmit = false): void {
    const next = this.deriveState();
    if (next === this.currentState && !forceEmit) return;
    this.currentState = next;
    this.emit('state', next, this.status());
  }
}
