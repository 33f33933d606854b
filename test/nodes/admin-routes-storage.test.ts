import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { TokenStore } from '../../src/lib/tokens/store';
import {
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
});
