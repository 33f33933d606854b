/**
 * What the token manager needs of a token database, whichever it is: SQLite on one host (synchronous,
 * better-sqlite3) or PostgreSQL shared by several hosts (asynchronous, pg). Both keep one row per
 * config id and make the same promises: a refresh happens under a lease, a rotated token is stored
 * with a compare-and-swap on the token that was sent, and a pasted token wins over a refresh in flight.
 */

/** An access token another host obtained, as a shared store keeps it: sealed, see access-token-seal.ts. */
export interface SharedAccessToken {
  sealed: string;
  /** When it expires by the clock of the host that obtained it; null when Aqara gave no usable expiry. */
  expiresAt: number | null;
}

export interface StoredToken {
  refreshToken: string;
  updatedAt: Date;
  appId: string;
  /** When Aqara refused this token as dead (2006/2007), so a restart does not show it as good. */
  refusedAt?: Date;
  /** Increases with every write: lets a caller see that somebody else rotated the token. */
  generation: number;
  /** Only from a store that shares access tokens: the one obtained with this refresh token. */
  access?: SharedAccessToken;
}

export type LeaseResult =
  | { outcome: 'acquired'; token: StoredToken }
  | { outcome: 'busy'; token: StoredToken; holder: string; until: number }
  /**
   * The store cannot be written right now but will be (SQLite: another process holds the write lock;
   * PostgreSQL: the server does not answer, or a row lock outlasted the lock timeout); try again
   * shortly. `reason` says which, in words fit for users.
   */
  | { outcome: 'locked'; reason?: string }
  | { outcome: 'no_token' };

export type CommitResult = 'saved' | 'superseded';

type Answer<Mode extends 'sync' | 'async', T> = Mode extends 'sync' ? T : Promise<T>;

/**
 * `now` is the caller's clock: it dates what is written. A store that several hosts share takes the
 * lease's expiry from its own clock instead, so hosts whose clocks differ still agree on it.
 */
export interface TokenStoreContract<Mode extends 'sync' | 'async'> {
  readonly mode: Mode;
  /** True when the store keeps the access token for every host of the cluster (see docs/architecture.md). */
  readonly sharesAccessToken: boolean;
  read(configId: string): Answer<Mode, StoredToken | undefined>;
  /** A token a person pasted replaces whatever is stored and cancels any refresh in flight elsewhere. */
  write(configId: string, refreshToken: string, appId: string, now?: Date): Answer<Mode, StoredToken>;
  /** The row and, unless another live holder has it, the refresh lease, atomically. */
  acquireRefreshLease(
    configId: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Answer<Mode, LeaseResult>;
  /** Stores `rotated` only where the row still holds `sent`; releases the caller's lease either way. */
  commitRotation(
    configId: string,
    owner: string,
    sent: string,
    rotated: string,
    now?: Date,
    access?: SharedAccessToken,
  ): Answer<Mode, CommitResult>;
  /** A refresh that kept the same refresh token renewed it all the same; releases the caller's lease. */
  recordRenewal(
    configId: string,
    owner: string,
    token: string,
    now?: Date,
    access?: SharedAccessToken,
  ): Answer<Mode, void>;
  /** Aqara said this token is dead; only that token is marked, not one pasted meanwhile. */
  markRefused(configId: string, token: string, now?: Date): Answer<Mode, void>;
  /** Never fails: a lease that cannot be released expires on its own. */
  releaseLease(configId: string, owner: string): Answer<Mode, void>;
  delete(configId: string): Answer<Mode, void>;
}

/** SQLite: every answer at once, so a cached access token and a status cost no turn of the event loop. */
export type SyncTokenStore = TokenStoreContract<'sync'>;
/** PostgreSQL: every answer is a round trip. */
export type AsyncTokenStore = TokenStoreContract<'async'>;
export type AnyTokenStore = SyncTokenStore | AsyncTokenStore;
