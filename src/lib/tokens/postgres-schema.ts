import type { PoolClient } from 'pg';
import { codedError, SCHEMA_NEWER, SCHEMA_UNKNOWN } from './postgres-errors';

/**
 * The tables of the shared store, made on first use and changed in numbered steps. A step runs inside
 * one transaction under an advisory lock, so of two hosts starting together one migrates and the other
 * waits, then finds the work done. A host that finds the version current takes no lock and issues no
 * DDL, so the database user needs CREATE only until the tables exist at this version.
 *
 * `readableBy` is the oldest schema version whose code can still use the tables after the step: a step
 * that only adds leaves it alone, so hosts on the previous release keep working during an upgrade.
 */
interface Migration {
  version: number;
  readableBy: number;
  statements: readonly string[];
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    readableBy: 1,
    statements: [
      // The same row as SQLite's, plus the cluster's access token (sealed; see access-token-seal.ts).
      // Dates are the writer's clock; the lease's expiry is the server's, so all hosts agree on it.
      `CREATE TABLE IF NOT EXISTS aqara_tokens (
        config_id           TEXT PRIMARY KEY,
        refresh_token       TEXT NOT NULL,
        updated_at          TIMESTAMPTZ NOT NULL,
        app_id              TEXT NOT NULL,
        generation          BIGINT NOT NULL DEFAULT 1,
        lease_owner         TEXT,
        lease_until         TIMESTAMPTZ,
        refused_at          TIMESTAMPTZ,
        access_token_sealed TEXT,
        access_expires_at   BIGINT
      )`,
      // Only the owner (the user that made it) and roles it grants to: default privileges that hand
      // new tables to PUBLIC are undone.
      'REVOKE ALL ON aqara_tokens FROM PUBLIC',
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Every column this code reads or writes, by table: a table of that name without them is not ours. */
const EXPECTED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  aqara_tokens: [
    'config_id',
    'refresh_token',
    'updated_at',
    'app_id',
    'generation',
    'lease_owner',
    'lease_until',
    'refused_at',
    'access_token_sealed',
    'access_expires_at',
  ],
};

/** pg_advisory_xact_lock(int, int): 'aqar' and the schema's own number. */
const LOCK_KEYS = [0x61716172, 1] as const;

interface VersionRow {
  version: number;
  readable_by: number;
}

async function readVersion(client: PoolClient): Promise<VersionRow> {
  try {
    const result = await client.query<VersionRow>(
      'SELECT version, readable_by FROM aqara_schema WHERE id = 1',
    );
    return result.rows[0] ?? { version: 0, readable_by: 0 };
  } catch (error) {
    if ((error as { code?: unknown }).code === '42P01') return { version: 0, readable_by: 0 };
    throw error;
  }
}

function refuseNewer(found: VersionRow): void {
  if (found.readable_by > SCHEMA_VERSION) {
    throw codedError(
      SCHEMA_NEWER,
      `schema version ${found.version} needs code of version ${found.readable_by} or newer; this code knows ${SCHEMA_VERSION}`,
    );
  }
}

async function checkColumns(client: PoolClient): Promise<void> {
  for (const [table, columns] of Object.entries(EXPECTED_COLUMNS)) {
    const result = await client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1`,
      [table],
    );
    const present = new Set(result.rows.map((row) => row.column_name));
    const missing = columns.filter((column) => !present.has(column));
    if (missing.length > 0) {
      throw codedError(SCHEMA_UNKNOWN, `table ${table} lacks the columns ${missing.join(', ')}`);
    }
  }
}

/** Brings the tables to SCHEMA_VERSION, or proves they are there already (one read, no lock). */
export async function migrateSchema(client: PoolClient): Promise<void> {
  const seen = await readVersion(client);
  if (seen.version >= SCHEMA_VERSION) {
    refuseNewer(seen);
    return;
  }
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK_KEYS]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS aqara_schema (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        version     INTEGER NOT NULL,
        readable_by INTEGER NOT NULL,
        migrated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`,
    );
    // Read again under the lock: the host that held it may have done the work.
    const found = await readVersion(client);
    refuseNewer(found);
    const steps = MIGRATIONS.filter((step) => step.version > found.version);
    for (const step of steps) {
      for (const statement of step.statements) await client.query(statement);
    }
    if (steps.length > 0) {
      const last = steps[steps.length - 1];
      await client.query(
        `INSERT INTO aqara_schema (id, version, readable_by) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, readable_by = excluded.readable_by,
           migrated_at = now()`,
        [last.version, last.readableBy],
      );
    }
    await checkColumns(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
