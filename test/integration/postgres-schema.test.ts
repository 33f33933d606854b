import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { SCHEMA_VERSION } from '../../src/lib/tokens/postgres-schema';
import { PostgresTokenStore } from '../../src/lib/tokens/postgres-store';
import { TokenStoreError } from '../../src/lib/tokens/store';
import { startPostgres, type TestPostgres } from '../../support/postgres';
import { assertNoSecrets, renderError } from '../helpers/secrets';

/*
 * The shared store's tables on a real PostgreSQL: made on first use by one host of many starting
 * together, refused clearly when they are of a newer or unknown shape, usable by a user that may only
 * read and write them, and closed to everybody else. Needs a role that may create databases and roles
 * (the embedded server's superuser, or AQARA_TEST_DATABASE_URL's).
 */

describe('the PostgreSQL schema', () => {
  let pg: TestPostgres;
  const stores: PostgresTokenStore[] = [];
  const cleanups: string[] = [];

  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    // Databases first: a role with privileges in a database cannot be dropped before it.
    const drops = [
      ...cleanups.filter((drop) => drop.startsWith('DROP DATABASE')),
      ...cleanups.filter((drop) => drop.startsWith('DROP ROLE')),
    ];
    await admin(pg.url, drops);
    await pg.stop();
  });

  async function admin(url: string, statements: string[]): Promise<Array<Record<string, unknown>>> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      let rows: Array<Record<string, unknown>> = [];
      for (const statement of statements) rows = (await client.query(statement)).rows;
      return rows;
    } finally {
      await client.end();
    }
  }

  /** A fresh database on the server, and its URL for a given user. */
  async function freshDatabase(): Promise<string> {
    const name = `aqara_schema_${randomBytes(4).toString('hex')}`;
    await admin(pg.url, [`CREATE DATABASE ${name}`]);
    cleanups.push(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const url = new URL(pg.url);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async function newRole(): Promise<{ name: string; password: string }> {
    const name = `aqara_user_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await admin(pg.url, [`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`]);
    cleanups.push(`DROP ROLE IF EXISTS ${name}`);
    return { name, password };
  }

  function as(url: string, role: { name: string; password: string }): string {
    const changed = new URL(url);
    changed.username = role.name;
    changed.password = role.password;
    return changed.toString();
  }

  /** Each call a pool of its own, as each host has; the schema is looked at once per pool. */
  function storeOn(url: string): PostgresTokenStore {
    const own = new URL(url);
    own.searchParams.set('application_name', `schema-test-${randomBytes(3).toString('hex')}`);
    const store = PostgresTokenStore.open(own.toString());
    stores.push(store);
    return store;
  }

  async function failure(promise: Promise<unknown>): Promise<TokenStoreError> {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof TokenStoreError, String(error));
      return error;
    }
    return assert.fail('expected a storage error');
  }

  it('is made once by eight hosts starting together on an empty database', async () => {
    const url = await freshDatabase();
    const hosts = Array.from({ length: 8 }, () => storeOn(url));
    await Promise.all(hosts.map((store, index) => store.write(`cfg-${index}`, `token-${index}`, 'app')));
    const versions = await admin(url, ['SELECT version, readable_by FROM aqara_schema']);
    assert.deepEqual(versions, [{ version: SCHEMA_VERSION, readable_by: SCHEMA_VERSION }]);
    const [{ count }] = await admin(url, ['SELECT count(*)::int AS count FROM aqara_tokens']);
    assert.equal(count, 8);
  });

  it('keeps working on a newer schema that says this version can read it, and refuses one that says it cannot', async () => {
    const url = await freshDatabase();
    await storeOn(url).write('cfg', 'token-a', 'app');
    await admin(url, [`UPDATE aqara_schema SET version = ${SCHEMA_VERSION + 5}`]);
    assert.equal((await storeOn(url).read('cfg'))?.refreshToken, 'token-a', 'an additive change');
    await admin(url, [`UPDATE aqara_schema SET readable_by = ${SCHEMA_VERSION + 5}`]);
    const error = await failure(storeOn(url).read('cfg'));
    assert.match(error.message, /\(SCHEMA_NEWER\): a newer version of this package .* update the package/);
    assert.equal(error.locked, false);
  });

  it('refuses an aqara_tokens table it did not make, and changes nothing', async () => {
    const url = await freshDatabase();
    await admin(url, ['CREATE TABLE aqara_tokens (config_id TEXT PRIMARY KEY, token TEXT)']);
    const error = await failure(storeOn(url).read('cfg'));
    assert.match(error.message, /\(SCHEMA_UNKNOWN\): an aqara_ table exists that this package did not make/);
    assert.match(error.logDetail, /aqara_tokens lacks the columns refresh_token, updated_at/);
    const [{ made }] = await admin(url, ["SELECT to_regclass('aqara_schema') IS NOT NULL AS made"]);
    assert.equal(made, false, 'the failed migration was rolled back');
  });

  it('works for a user that may only read and write the tables once they exist; others may not even read them', async () => {
    const url = await freshDatabase();
    await storeOn(url).write('cfg', 'token-a', 'app');
    const writer = await newRole();
    const stranger = await newRole();
    await admin(url, [
      `GRANT SELECT, INSERT, UPDATE, DELETE ON aqara_tokens TO ${writer.name}`,
      `GRANT SELECT ON aqara_schema TO ${writer.name}`,
    ]);
    const store = storeOn(as(url, writer));
    assert.equal((await store.read('cfg'))?.refreshToken, 'token-a');
    await store.write('cfg', 'token-b', 'app');

    const denied = await failure(storeOn(as(url, stranger)).read('cfg'));
    assert.match(denied.message, /\(42501\): the database user lacks a permission/);
    // Not through this package either: PUBLIC has no right to the table.
    await assert.rejects(
      admin(as(url, stranger), ['SELECT refresh_token FROM aqara_tokens']),
      /permission denied/,
    );
    assertNoSecrets(renderError(denied), { password: [stranger.password, writer.password] });
  });

  it('says clearly that a user without CREATE cannot make the tables on first use', async () => {
    const url = await freshDatabase();
    const user = await newRole();
    // PostgreSQL 15 and newer give PUBLIC no CREATE on the public schema; older ones did.
    await admin(url, ['REVOKE CREATE ON SCHEMA public FROM PUBLIC']);
    const error = await failure(storeOn(as(url, user)).write('cfg', 'token-a', 'app'));
    assert.match(error.message, /\(42501\): .*creates the aqara_ tables/);
    assert.equal(error.locked, false, 'a permission does not come by waiting');
  });
});
