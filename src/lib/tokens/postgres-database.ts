import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { type Logger, silentLogger } from '../logger';
import { migrateSchema } from './postgres-schema';
import {
  codedError,
  describeServer,
  INVALID_URL,
  isTransientPostgresError,
  postgresError,
} from './postgres-errors';

/**
 * One connection pool per PostgreSQL URL per process, shared by every config (and every feature) that
 * names that database. pg is loaded when the first one opens: a Node-RED whose configs all use SQLite
 * never loads it. The URL is a secret (it may carry a password): no message, log line or error says
 * it; logs name the server as `postgres://user@host:port/database`.
 */

/** Small: a host makes a handful of short statements per refresh, and many hosts share one server. */
const POOL_SIZE = 4;
const CONNECT_TIMEOUT_MS = 5_000;
/** A row lock held longer than this is somebody's stuck transaction: report it as busy, try again. */
const LOCK_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 10_000;
/** Client side: a server that stopped answering mid-query (network gone) fails the query after this. */
const QUERY_TIMEOUT_MS = 15_000;
const IDLE_CLIENT_MS = 30_000;

export const APPLICATION_NAME = 'node-red-aqara-cloud';

export class PostgresDatabase {
  private static readonly byUrl = new Map<string, PostgresDatabase>();

  /** `postgres://user@host:port/database`, for logs only. */
  readonly server: string;
  private readonly url: string;
  private readonly password: string;
  private readonly logger: Logger;
  private poolInstance: Pool | undefined;
  private schemaReady: Promise<void> | undefined;
  private users = 0;

  /**
   * The shared database for this URL, opened on first use; each open is matched by one close(). Throws
   * a TokenStoreError at once for a URL that is not a postgres:// one; everything else (the server,
   * the password, the schema) is found out by the first query, which a redeploy does not need to repeat.
   */
  static acquire(url: string, logger: Logger = silentLogger): PostgresDatabase {
    let database = PostgresDatabase.byUrl.get(url);
    if (!database) {
      database = new PostgresDatabase(url, logger);
      PostgresDatabase.byUrl.set(url, database);
    }
    database.users++;
    return database;
  }

  private constructor(url: string, logger: Logger) {
    let parsed: URL;
    let password: string;
    try {
      parsed = new URL(url);
      password = decodeURIComponent(parsed.password);
    } catch {
      // Never the text: a URL that does not parse may still hold a password.
      throw postgresError('open', '(unreadable URL)', codedError(INVALID_URL, 'not a URL'));
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw postgresError(
        'open',
        describeServer(parsed),
        codedError(INVALID_URL, `scheme ${parsed.protocol}`),
      );
    }
    this.url = url;
    this.password = password;
    this.server = describeServer(parsed);
    this.logger = logger;
  }

  private pool(): Pool {
    if (this.poolInstance) return this.poolInstance;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded late on purpose: SQLite users never load pg
    const { Pool: PgPool } = require('pg') as typeof import('pg');
    const pool = new PgPool({
      connectionString: this.url,
      max: POOL_SIZE,
      idleTimeoutMillis: IDLE_CLIENT_MS,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      lock_timeout: LOCK_TIMEOUT_MS,
      idle_in_transaction_session_timeout: STATEMENT_TIMEOUT_MS,
      application_name: APPLICATION_NAME,
      keepAlive: true,
      // A command-line run ends when its work is done, without waiting for idle connections.
      allowExitOnIdle: true,
    });
    // An idle connection whose server restarted emits 'error'; unheard, that would end the process.
    pool.on('error', (error) => {
      this.logger.warn(`${postgresError('keep a connection', this.server, error, this.password).logDetail}`);
    });
    this.poolInstance = pool;
    return pool;
  }

  /**
   * The tables exist and are of a version this code can use. Tried again on the next use after a
   * failure (server down, no permission yet), so a config recovers without a redeploy.
   */
  private ensureSchema(): Promise<void> {
    this.schemaReady ??= this.withClient((client) => migrateSchema(client)).catch((error: unknown) => {
      this.schemaReady = undefined;
      throw error;
    });
    return this.schemaReady;
  }

  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool().connect();
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      // A connection that failed mid-transaction or lost its server is not given to the next caller.
      if (isTransientPostgresError(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** One statement, after the schema is known; any failure becomes a TokenStoreError about `action`. */
  async query<R extends QueryResultRow>(action: string, text: string, values: unknown[]): Promise<R[]> {
    try {
      await this.ensureSchema();
      const result = await this.pool().query<R>(text, values);
      return result.rows;
    } catch (error) {
      throw postgresError(action, this.server, error, this.password);
    }
  }

  /** Ends the pool when the last user closes. */
  async close(): Promise<void> {
    if (this.users === 0) return;
    this.users--;
    if (this.users > 0) return;
    PostgresDatabase.byUrl.delete(this.url);
    const pool = this.poolInstance;
    this.poolInstance = undefined;
    this.schemaReady = undefined;
    await pool?.end();
  }
}
