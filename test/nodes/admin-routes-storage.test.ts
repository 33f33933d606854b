import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { TokenStore } from '../../src/lib/tokens/store';
import {
  APP,
  credentials,
  harnessPerTest,
  helper,
  nextMessage,
  node,
  NODES,
  postToken,
  sceneFlow,
} from './support';

/** Another process's connection to the same database, holding SQLite's write lock. */
function holdWriteLock(dbPath: string): { release(): void } {
  TokenStore.open(dbPath);
  const other = new Database(dbPath);
  other.exec('BEGIN IMMEDIATE');
  return {
    release() {
      if (other.inTransaction) other.exec('COMMIT');
      if (other.open) other.close();
    },
  };
}

describe('admin routes meeting the token database', () => {
  const h = harnessPerTest();

  it('a paste meeting a write lock held for 200 ms waits for it and answers 200', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const lock = holdWriteLock(h.dbPath);
    try {
      setTimeout(() => lock.release(), 200);
      const token = h.sim.issueRefreshToken();
      const response = await postToken({ refresh_token: token });
      assert.equal(response.status, 200, response.text);
      assert.equal(TokenStore.open(h.dbPath).read('cfg')?.refreshToken, token);
    } finally {
      lock.release();
    }
  });

  it('a paste that still cannot write after a few seconds answers 503 with Retry-After', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const lock = holdWriteLock(h.dbPath);
    try {
      const response = await postToken({ refresh_token: h.sim.issueRefreshToken() });
      assert.equal(response.status, 503, response.text);
      assert.ok(Number(response.headers['retry-after']) > 0, 'Retry-After says when to try again');
      const body = response.body as { code: string; details: string };
      assert.equal(body.code, 'STORAGE_BUSY');
      assert.match(body.details, /try again in a few seconds/);
      assert.ok(!body.details.includes(h.dir), body.details);
    } finally {
      lock.release();
    }
    assert.equal(TokenStore.open(h.dbPath).read('cfg'), undefined, 'nothing was stored');
  });

  it('an unusable database is explained without its absolute path in details, status or msg.error', async () => {
    const file = join(h.dir, 'a-file');
    writeFileSync(file, '');
    helper.settings({ aqaraConfigDbPath: join(file, 'sub', 'tokens.db') });
    await helper.load(NODES, sceneFlow(h), credentials());

    const posted = await postToken({ refresh_token: h.sim.issueRefreshToken() });
    const details = (posted.body as { details: string }).details;
    assert.match(details, /cannot open \(\w+\): .*the log names its full path/);
    const status = await helper.request().get('/aqara/token-status');
    const lastError = (status.body as { last_error: string }).last_error;
    assert.match(lastError, /token database tokens\.db: cannot open/);
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    for (const text of [details, lastError, error.message]) {
      assert.ok(!text.includes(h.dir), `no absolute path reaches a client: ${text}`);
    }
  });

  it('a config deployed on an old-schema database while another process writes recovers by itself', async () => {
    const other = new Database(h.dbPath);
    try {
      other.pragma('journal_mode = WAL');
      // The first release's table: no refused_at column yet.
      other.exec(`CREATE TABLE aqara_tokens (config_id TEXT PRIMARY KEY, refresh_token TEXT NOT NULL,
        updated_at TEXT NOT NULL, app_id TEXT NOT NULL, generation INTEGER NOT NULL DEFAULT 1,
        lease_owner TEXT, lease_until INTEGER)`);
      other
        .prepare(
          'INSERT INTO aqara_tokens (config_id, refresh_token, updated_at, app_id) VALUES (?, ?, ?, ?)',
        )
        .run('cfg', h.sim.issueRefreshToken(), new Date().toISOString(), APP.appId);
      other.exec('BEGIN IMMEDIATE');
      setTimeout(() => other.exec('COMMIT'), 200);
      await helper.load(NODES, sceneFlow(h), credentials());
      const deadline = Date.now() + 10_000;
      let state = '';
      while (state !== 'ready' && Date.now() < deadline) {
        const status = await helper.request().get('/aqara/token-status');
        state = (status.body as { state: string }).state;
        if (state !== 'ready') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(state, 'ready', 'no redeploy was needed');
      const out = nextMessage('out');
      node('scene').receive({});
      await out;
    } finally {
      if (other.inTransaction) other.exec('COMMIT');
      other.close();
    }
  });
});
