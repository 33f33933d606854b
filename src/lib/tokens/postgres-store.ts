import type { Logger } from '../logger';
import { isLeaseHolderAlive } from './lease-owner';
import { PostgresDatabase } from './postgres-database';
import { TokenStoreError } from './store-error';
import type {
  AsyncTokenStore,
  CommitResult,
  LeaseResult,
  SharedAccessToken,
  StoredToken,
} from './token-store';

/**
 * The token store shared by several Node-RED hosts (and aqara-test runs): the same row and the same
 * promises as the SQLite store, on PostgreSQL. Every statement stands alone (autocommit), each is
 * atomic by PostgreSQL's row locks, and the lease's expiry is the server's clock (`now()`), so hosts
 * whose clocks differ still agree on when a lease is over. The access token of the cluster is kept in
 * the row, sealed by the manager: this store never sees it in clear.
 */

interface TokenRow {
  refresh_token: string;
  updated_at: Date;
  app_id: string;
  generation: string;
  refused_at: Date | null;
  access_token_sealed: string | null;
  access_expires_at: string | null;
  lease_owner: string | null;
  lease_live: boolean;
  lease_until_ms: number | null;
}

const COLUMNS = `refresh_token, updated_at, app_id, generation, refused_at, access_token_sealed,
  access_expires_at, lease_owner, lease_until > now() AS lease_live,
  (extract(epoch FROM lease_until) * 1000)::float8 AS lease_until_ms`;

/** A lease that changes hands between our looks is looked at again, a few times at most. */
const LEASE_ATTEMPTS = 3;

function toStoredToken(row: TokenRow): StoredToken {
  const stored: StoredToken = {
    refreshToken: row.refresh_token,
    updatedAt: row.updated_at,
    appId: row.app_id,
    refusedAt: row.refused_at ?? undefined,
    generation: Number(row.generation),
  };
  if (row.access_token_sealed !== null) {
    stored.access = {
      sealed: row.access_token_sealed,
      expiresAt: row.access_expires_at === null ? null : Number(row.access_expires_at),
    };
  }
  return stored;
}

function accessValues(access: SharedAccessToken | undefined): [string | null, string | null] {
  if (!access) return [null, null];
  return [access.sealed, access.expiresAt === null ? null : String(access.expiresAt)];
}

export class PostgresTokenStore implements AsyncTokenStore {
  readonly mode = 'async';
  readonly sharesAccessToken = true;
  private readonly db: PostgresDatabase;
  private closed = false;

  /**
   * A store on the database this URL names; every store of one URL shares one connection pool. Throws
   * at once only for a URL that is not a postgres:// one: the server is first asked on first use.
   */
  static open(url: string, options: { logger?: Logger } = {}): PostgresTokenStore {
    return new PostgresTokenStore(PostgresDatabase.acquire(url, options.logger));
  }

  private constructor(db: PostgresDatabase) {
    this.db = db;
  }

  /** `postgres://user@host:port/database`, for log lines. */
  get server(): string {
    return this.db.server;
  }

  async read(configId: string): Promise<StoredToken | undefined> {
    const rows = await this.db.query<TokenRow>(
      'read the refresh token',
      `SELECT ${COLUMNS} FROM aqara_tokens WHERE config_id = $1`,
      [configId],
    );
    return rows[0] ? toStoredToken(rows[0]) : undefined;
  }

  async write(
    configId: string,
    refreshToken: string,
    appId: string,
    now: Date = new Date(),
  ): Promise<StoredToken> {
    const rows = await this.db.query<TokenRow>(
      'save the refresh token',
      `INSERT INTO aqara_tokens (config_id, refresh_token, updated_at, app_id, generation)
       VALUES ($1, $2, $3, $4, 1)
       ON CONFLICT (config_id) DO UPDATE SET refresh_token = excluded.refresh_token,
         updated_at = excluded.updated_at, app_id = excluded.app_id,
         generation = aqara_tokens.generation + 1, lease_owner = NULL, lease_until = NULL,
         refused_at = NULL, access_token_sealed = NULL, access_expires_at = NULL
       RETURNING ${COLUMNS}`,
      [configId, refreshToken, now, appId],
    );
    return toStoredToken(rows[0]);
  }

  /**
   * Takes the lease where it is free, ours or expired by the server's clock, in one statement; a lease
   * held by a process that is provably dead (same host, see lease-owner.ts) is taken over with a
   * compare-and-swap on that holder. Unreachable server or a row lock held too long: 'locked'.
   */
  async acquireRefreshLease(
    configId: string,
    owner: string,
    _now: number,
    leaseMs: number,
  ): Promise<LeaseResult> {
    try {
      for (let attempt = 1; ; attempt++) {
        const taken = await this.db.query<TokenRow>(
          'lock the refresh token for a refresh',
          `UPDATE aqara_tokens SET lease_owner = $2, lease_until = now() + $3::float8 * interval '1 millisecond'
           WHERE config_id = $1
             AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until IS NULL OR lease_until <= now())
           RETURNING ${COLUMNS}`,
          [configId, owner, leaseMs],
        );
        if (taken[0]) return { outcome: 'acquired', token: toStoredToken(taken[0]) };
        const rows = await this.db.query<TokenRow>(
          'lock the refresh token for a refresh',
          `SELECT ${COLUMNS} FROM aqara_tokens WHERE config_id = $1`,
          [configId],
        );
        const row = rows[0];
        if (!row) return { outcome: 'no_token' };
        const holder = row.lease_owner;
        const busy: LeaseResult = {
          outcome: 'busy',
          token: toStoredToken(row),
          holder: holder ?? '',
          until: row.lease_until_ms ?? Date.now(),
        };
        if (attempt >= LEASE_ATTEMPTS) return busy;
        // Freed or expired since the first look: look again.
        if (holder === null || !row.lease_live) continue;
        if (isLeaseHolderAlive(holder)) return busy;
        const takenOver = await this.db.query<TokenRow>(
          'lock the refresh token for a refresh',
          `UPDATE aqara_tokens SET lease_owner = $2, lease_until = now() + $3::float8 * interval '1 millisecond'
           WHERE config_id = $1 AND lease_owner = $4
           RETURNING ${COLUMNS}`,
          [configId, owner, leaseMs, holder],
        );
        if (takenOver[0]) return { outcome: 'acquired', token: toStoredToken(takenOver[0]) };
      }
    } catch (error) {
      if (error instanceof TokenStoreError && error.locked) {
        return { outcome: 'locked', reason: error.message };
      }
      throw error;
    }
  }

  /**
   * Swaps in the rotated token where the row still holds the sent one, with the access token obtained
   * in the same answer; otherwise only releases the caller's lease. One statement: the release cannot
   * happen without the failed swap or the other way round.
   */
  async commitRotation(
    configId: string,
    owner: string,
    sent: string,
    rotated: string,
    now: Date = new Date(),
    access?: SharedAccessToken,
  ): Promise<CommitResult> {
    const [sealed, expiresAt] = accessValues(access);
    const rows = await this.db.query<{ saved: boolean }>(
      'save the rotated refresh token',
      `WITH swapped AS (
         UPDATE aqara_tokens SET refresh_token = $4, updated_at = $5, generation = generation + 1,
           lease_owner = NULL, lease_until = NULL, refused_at = NULL,
           access_token_sealed = $6, access_expires_at = $7
         WHERE config_id = $1 AND refresh_token = $3
         RETURNING 1
       ), released AS (
         UPDATE aqara_tokens SET lease_owner = NULL, lease_until = NULL
         WHERE config_id = $1 AND lease_owner = $2 AND NOT EXISTS (SELECT 1 FROM swapped)
       )
       SELECT EXISTS (SELECT 1 FROM swapped) AS saved`,
      [configId, owner, sent, rotated, now, sealed, expiresAt],
    );
    return rows[0]?.saved ? 'saved' : 'superseded';
  }

  async recordRenewal(
    configId: string,
    owner: string,
    token: string,
    now: Date = new Date(),
    access?: SharedAccessToken,
  ): Promise<void> {
    const [sealed, expiresAt] = accessValues(access);
    await this.db.query(
      'record the refresh',
      `UPDATE aqara_tokens SET updated_at = $4, refused_at = NULL,
         access_token_sealed = $5, access_expires_at = $6,
         lease_owner = CASE WHEN lease_owner = $2 THEN NULL ELSE lease_owner END,
         lease_until = CASE WHEN lease_owner = $2 THEN NULL ELSE lease_until END
       WHERE config_id = $1 AND refresh_token = $3`,
      [configId, owner, token, now, sealed, expiresAt],
    );
  }

  async markRefused(configId: string, token: string, now: Date = new Date()): Promise<void> {
    await this.db.query(
      'record that Aqara refused the refresh token',
      'UPDATE aqara_tokens SET refused_at = $3 WHERE config_id = $1 AND refresh_token = $2',
      [configId, token, now],
    );
  }

  async releaseLease(configId: string, owner: string): Promise<void> {
    try {
      await this.db.query(
        'release the refresh lease',
        'UPDATE aqara_tokens SET lease_owner = NULL, lease_until = NULL WHERE config_id = $1 AND lease_owner = $2',
        [configId, owner],
      );
    } catch {
      // A lease that cannot be released expires on its own; the refresh outcome matters more.
    }
  }

  async delete(configId: string): Promise<void> {
    await this.db.query('delete the refresh token', 'DELETE FROM aqara_tokens WHERE config_id = $1', [
      configId,
    ]);
  }

  /** Gives this store's share of the connection pool back; the pool ends with its last store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}
