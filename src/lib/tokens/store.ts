import type Database from 'better-sqlite3';
import { openDatabase } from '../sqlite';
import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isLeaseHolderAlive } from './lease-owner';
import { TokenStoreError } from './store-error';
import type { CommitResult, LeaseResult, StoredToken, SyncTokenStore } from './token-store';

export { newLeaseOwner } from './lease-owner';
export { logText, TokenStoreError } from './store-error';
export type { CommitResult, LeaseResult, SharedAccessToken, StoredToken } from './token-store';

/**
 * The only code that touches SQLite. A refresh token is worth an account: Aqara rotates it on every
 * refresh and the old one dies, so every write here is synchronous=FULL in WAL mode, and two processes
 * sharing the file coordinate through a lease row so that one refresh token is never sent twice.
 */

interface TokenRow {
  refresh_token: string;
  updated_at: string;
  app_id: string;
  refused_at: string | null;
  generation: number;
  lease_owner: string | null;
  lease_until: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS aqara_tokens (
  config_id     TEXT PRIMARY KEY,
  refresh_token TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  app_id        TEXT NOT NULL,
  generation    INTEGER NOT NULL DEFAULT 1,
  lease_owner   TEXT,
  lease_until   INTEGER,
  refused_at    TEXT
)`;

/**
 * better-sqlite3 is synchronous: a busy wait blocks the whole Node-RED process. The wait is kept short
 * and the token manager retries asynchronously instead.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 50;

function isLockedError(error: unknown): boolean {
  if (error instanceof TokenStoreError) return error.locked;
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

export function defaultTokenDbPath(userDir: string): string {
  return join(userDir, 'aqara-cloud', 'tokens.db');
}

/** Refused because a link could send the token (or its -wal) to a file somebody else chose. */
const SYMLINK = 'SYMLINK_REFUSED';

/** SQLite's and the file system's codes, grouped by what a user can do about them. */
const ADVICE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^SQLITE_(BUSY|LOCKED)/, 'another process is writing to it; try again in a few seconds'],
  [/^(SQLITE_FULL|ENOSPC|EDQUOT)/, 'the disk is full; free some space'],
  [
    /^(SQLITE_READONLY|SQLITE_PERM|SQLITE_AUTH|EACCES|EPERM|EROFS)/,
    'no permission to write it; check the owner and mode of the file and its folder',
  ],
  [
    /^(SQLITE_CANTOPEN|ENOENT|ENOTDIR|EISDIR)/,
    'it cannot be opened; check that its folder exists and may be written',
  ],
  [
    /^(SQLITE_CORRUPT|SQLITE_NOTADB)/,
    'the file is damaged or is not a token database; move it away and paste the refresh token again',
  ],
  [/^SQLITE_IOERR/, 'the disk reported an error; check the disk'],
  [
    new RegExp(`^${SYMLINK}$`),
    'its file or folder is a symbolic link, which is refused; point the setting at the real file',
  ],
];

function codeOf(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown';
  return (error as NodeJS.ErrnoException).code ?? error.name;
}

function storageError(action: string, dbPath: string, error: unknown): TokenStoreError {
  if (error instanceof TokenStoreError) return error;
  const code = codeOf(error);
  const advice = ADVICE.find(([pattern]) => pattern.test(code))?.[1] ?? 'see the log for the reason';
  const raw = error instanceof Error ? error.message : 'unknown';
  return new TokenStoreError(
    `token database ${basename(dbPath)}: cannot ${action} (${code}): ${advice}; the log names its full path`,
    isLockedError(error),
    `token database ${dbPath}: cannot ${action} (${code}: ${raw})`,
  );
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function refuseSymlink(path: string, stats: Stats | undefined): void {
  if (stats?.isSymbolicLink()) {
    throw Object.assign(new Error(`${path} is a symbolic link`), { code: SYMLINK });
  }
}

/**
 * Sets the mode. A file or folder of another owner (a database shared with another user, a folder an
 * administrator made) cannot be changed: it is accepted only when none of the `forbidden` bits are
 * set, i.e. nobody else can read the file, or write into the folder; anything more open is refused.
 */
function restrictMode(path: string, mode: number, forbidden: number): void {
  try {
    chmodSync(path, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    if ((lstatSync(path).mode & forbidden) !== 0) throw error;
  }
}

function toStoredToken(row: TokenRow): StoredToken {
  return {
    refreshToken: row.refresh_token,
    updatedAt: new Date(row.updated_at),
    appId: row.app_id,
    refusedAt: row.refused_at === null ? undefined : new Date(row.refused_at),
    generation: row.generation,
  };
}

export class TokenStore implements SyncTokenStore {
  readonly mode = 'sync';
  /** The access token stays in memory: SQLite is a file on disk (see docs/architecture.md). */
  readonly sharesAccessToken = false;
  private static readonly openStores = new Map<string, TokenStore>();

  readonly path: string;
  private readonly db: Database.Database;
  /** Prepared once the schema is known to be current. */
  private selectRowStatement: Database.Statement<[string], TokenRow> | undefined;

  /** One connection per file per process: the in-process single-flight relies on sharing it. */
  static open(dbPath: string, options: { busyTimeoutMs?: number } = {}): TokenStore {
    const path = resolve(dbPath);
    let store = TokenStore.openStores.get(path);
    if (!store) {
      store = new TokenStore(path, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
      TokenStore.openStores.set(path, store);
    }
    return store;
  }

  private constructor(path: string, busyTimeoutMs: number) {
    this.path = path;
    try {
      TokenStore.prepareFiles(path);
      this.db = openDatabase(path, { timeout: busyTimeoutMs });
      this.db.pragma('synchronous = FULL');
    } catch (error) {
      throw storageError('open', path, error);
    }
    try {
      this.ensureSchema();
    } catch (error) {
      // Another process writing while an old schema needs a column: every use tries again, so the
      // store comes good by itself instead of failing until a restart.
      if (!(error instanceof TokenStoreError && error.locked)) {
        this.db.close();
        throw error;
      }
    }
  }

  /** WAL mode, the table and its later columns; needs the write lock only when something changes. */
  private ensureSchema(): Database.Statement<[string], TokenRow> {
    if (this.selectRowStatement) return this.selectRowStatement;
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.exec(SCHEMA);
      TokenStore.migrate(this.db);
      // SQLite has made the -wal and -shm files by now.
      TokenStore.prepareFiles(this.path);
    } catch (error) {
      throw storageError('open', this.path, error);
    }
    this.selectRowStatement = this.db.prepare<[string], TokenRow>(
      'SELECT refresh_token, updated_at, app_id, generation, lease_owner, lease_until, refused_at FROM aqara_tokens WHERE config_id = ?',
    );
    return this.selectRowStatement;
  }

  private get selectRow(): Database.Statement<[string], TokenRow> {
    return this.ensureSchema();
  }

  /** Databases made by an earlier version lack later columns; adding one keeps every stored token. */
  private static migrate(db: Database.Database): void {
    const columns = new Set(
      (db.pragma('table_info(aqara_tokens)') as Array<{ name: string }>).map((column) => column.name),
    );
    if (!columns.has('refused_at')) db.exec('ALTER TABLE aqara_tokens ADD COLUMN refused_at TEXT');
  }

  /**
   * On every open, whatever made them: the folder 0700, the database and its -wal and -shm 0600 (a
   * stale -wal left world-readable by an older version holds tokens). Links are refused. The file is
   * made before SQLite opens it, so there is never a moment when another user could read a token.
   */
  private static prepareFiles(path: string): void {
    const folder = dirname(path);
    const folderStats = lstatOrUndefined(folder);
    refuseSymlink(folder, folderStats);
    if (!folderStats) mkdirSync(folder, { recursive: true, mode: 0o700 });
    restrictMode(folder, 0o700, 0o022);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      const stats = lstatOrUndefined(file);
      refuseSymlink(file, stats);
      if (stats) restrictMode(file, 0o600, 0o077);
    }
    if (!lstatOrUndefined(path)) {
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0);
      closeSync(openSync(path, flags, 0o600));
      restrictMode(path, 0o600, 0o077);
    }
  }

  read(configId: string): StoredToken | undefined {
    try {
      this.ensureSchema();
      const row = this.selectRow.get(configId);
      return row ? toStoredToken(row) : undefined;
    } catch (error) {
      throw storageError('read', this.path, error);
    }
  }

  /** The config ids that have a token here: named when a given id has none (a typing mistake). */
  configIds(): string[] {
    try {
      this.ensureSchema();
      const rows = this.db.prepare('SELECT config_id FROM aqara_tokens ORDER BY config_id').all() as Array<{
        config_id: string;
      }>;
      return rows.map((row) => row.config_id);
    } catch (error) {
      throw storageError('read', this.path, error);
    }
  }

  /** A token a person pasted replaces whatever is stored, and cancels any refresh in flight elsewhere. */
  write(configId: string, refreshToken: string, appId: string, now: Date = new Date()): StoredToken {
    try {
      this.ensureSchema();
      this.db
        .prepare(
          `INSERT INTO aqara_tokens (config_id, refresh_token, updated_at, app_id, generation)
           VALUES (@configId, @refreshToken, @updatedAt, @appId, 1)
           ON CONFLICT(config_id) DO UPDATE SET refresh_token = excluded.refresh_token,
             updated_at = excluded.updated_at, app_id = excluded.app_id,
             generation = aqara_tokens.generation + 1, lease_owner = NULL, lease_until = NULL,
             refused_at = NULL`,
        )
        .run({ configId, refreshToken, updatedAt: now.toISOString(), appId });
    } catch (error) {
      throw storageError('save the refresh token', this.path, error);
    }
    const stored = this.read(configId);
    if (!stored) throw storageError('read back the refresh token', this.path, new Error('row missing'));
    return stored;
  }

  /**
   * Reads the row and, unless another live process holds the refresh lease, takes it — all under
   * BEGIN IMMEDIATE so two processes cannot both see the lease free. The transaction ends before
   * the caller goes to the network.
   */
  acquireRefreshLease(configId: string, owner: string, now: number, leaseMs: number): LeaseResult {
    try {
      this.ensureSchema();
      const take = this.db.transaction((): LeaseResult => {
        const row = this.selectRow.get(configId);
        if (!row) return { outcome: 'no_token' };
        const held =
          row.lease_owner !== null &&
          row.lease_owner !== owner &&
          (row.lease_until ?? 0) > now &&
          isLeaseHolderAlive(row.lease_owner);
        if (held) {
          return {
            outcome: 'busy',
            token: toStoredToken(row),
            holder: row.lease_owner ?? '',
            until: row.lease_until ?? now,
          };
        }
        this.db
          .prepare('UPDATE aqara_tokens SET lease_owner = ?, lease_until = ? WHERE config_id = ?')
          .run(owner, now + leaseMs, configId);
        return { outcome: 'acquired', token: toStoredToken(row) };
      });
      return take.immediate();
    } catch (error) {
      if (isLockedError(error)) return { outcome: 'locked' };
      throw storageError('lock the refresh token for a refresh', this.path, error);
    }
  }

  /**
   * Stores a rotated token only if the row still holds the token that was sent (compare-and-swap):
   * if a person pasted a new token meanwhile, theirs wins. Releases the caller's lease either way.
   */
  commitRotation(
    configId: string,
    owner: string,
    sentToken: string,
    rotatedToken: string,
    now: Date = new Date(),
  ): CommitResult {
    try {
      this.ensureSchema();
      const commit = this.db.transaction((): CommitResult => {
        const swapped = this.db
          .prepare(
            `UPDATE aqara_tokens SET refresh_token = ?, updated_at = ?, generation = generation + 1,
               lease_owner = NULL, lease_until = NULL, refused_at = NULL
             WHERE config_id = ? AND refresh_token = ?`,
          )
          .run(rotatedToken, now.toISOString(), configId, sentToken);
        if (swapped.changes === 1) return 'saved';
        this.releaseLeaseStatement().run(configId, owner);
        return 'superseded';
      });
      return commit.immediate();
    } catch (error) {
      throw storageError('save the rotated refresh token', this.path, error);
    }
  }

  /**
   * A refresh that kept the same refresh token still renewed it on Aqara's side: its age, which the
   * keep-alive and the expiry estimate read, starts again. Releases the caller's lease.
   */
  recordRenewal(configId: string, owner: string, token: string, now: Date = new Date()): void {
    try {
      this.ensureSchema();
      this.db
        .prepare(
          `UPDATE aqara_tokens SET updated_at = ?, refused_at = NULL,
             lease_owner = CASE WHEN lease_owner = ? THEN NULL ELSE lease_owner END,
             lease_until = CASE WHEN lease_owner = ? THEN NULL ELSE lease_until END
           WHERE config_id = ? AND refresh_token = ?`,
        )
        .run(now.toISOString(), owner, owner, configId, token);
    } catch (error) {
      throw storageError('record the refresh', this.path, error);
    }
  }

  /** Aqara said this token is dead; only that token is marked, not one pasted meanwhile. */
  markRefused(configId: string, token: string, now: Date = new Date()): void {
    try {
      this.ensureSchema();
      this.db
        .prepare('UPDATE aqara_tokens SET refused_at = ? WHERE config_id = ? AND refresh_token = ?')
        .run(now.toISOString(), configId, token);
    } catch (error) {
      throw storageError('record that Aqara refused the refresh token', this.path, error);
    }
  }

  releaseLease(configId: string, owner: string): void {
    try {
      this.releaseLeaseStatement().run(configId, owner);
    } catch {
      // A lease that cannot be released expires on its own; the refresh outcome matters more.
    }
  }

  private releaseLeaseStatement(): Database.Statement<[string, string]> {
    return this.db.prepare<[string, string]>(
      'UPDATE aqara_tokens SET lease_owner = NULL, lease_until = NULL WHERE config_id = ? AND lease_owner = ?',
    );
  }

  delete(configId: string): void {
    try {
      this.ensureSchema();
      this.db.prepare('DELETE FROM aqara_tokens WHERE config_id = ?').run(configId);
    } catch (error) {
      throw storageError('delete the refresh token', this.path, error);
    }
  }

  /** Test and fault-injection access: PRAGMAs such as max_page_count, or query_only. */
  pragma(statement: string): unknown {
    return this.db.pragma(statement);
  }

  close(): void {
    TokenStore.openStores.delete(this.path);
    if (this.db.open) this.db.close();
  }
}
