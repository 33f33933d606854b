import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { defaultTokenDbPath, newLeaseOwner, TokenStore, TokenStoreError } from '../../src/lib/tokens/store';
import { makeTempDir } from '../../support/temp-dir';

describe('token store', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: TokenStore;
  beforeEach(() => {
    temp = makeTempDir();
    store = TokenStore.open(join(temp.path, 'nested', 'aqara-cloud', 'tokens.db'));
  });
  afterEach(() => {
    store.close();
    temp.remove();
  });

  it('creates its folder 0700 and its file 0600, in WAL mode with synchronous=FULL', () => {
    const folder = join(temp.path, 'nested', 'aqara-cloud');
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    store.write('c', 'token-value-1', 'app');
    assert.equal(statSync(`${store.path}-wal`).mode & 0o777, 0o600);
    assert.deepEqual(store.pragma('journal_mode'), [{ journal_mode: 'wal' }]);
    assert.deepEqual(store.pragma('synchronous'), [{ synchronous: 2 }]);
  });

  it('puts the default database under the user dir', () => {
    assert.equal(defaultTokenDbPath('/home/u/.node-red'), '/home/u/.node-red/aqara-cloud/tokens.db');
  });

  it('writes, reads back and counts generations per config', () => {
    assert.equal(store.read('c'), undefined);
    const first = store.write('c', 'token-a', 'app-1', new Date('2025-12-11T18:30:00Z'));
    assert.equal(first.refreshToken, 'token-a');
    assert.equal(first.updatedAt.toISOString(), '2025-12-11T18:30:00.000Z');
    const second = store.write('c', 'token-b', 'app-1');
    assert.equal(second.generation, first.generation + 1);
    assert.equal(store.read('other'), undefined);
  });

  it('gives the refresh lease to one owner at a time and takes over an expired one', () => {
    store.write('c', 'token-a', 'app');
    const alice = newLeaseOwner('alice');
    const bob = newLeaseOwner('bob');
    assert.equal(store.acquireRefreshLease('c', alice, 1000, 500).outcome, 'acquired');
    assert.equal(store.acquireRefreshLease('c', bob, 1200, 500).outcome, 'busy');
    assert.equal(store.acquireRefreshLease('c', bob, 1600, 500).outcome, 'acquired', 'expired lease');
    assert.equal(store.acquireRefreshLease('missing', bob, 0, 500).outcome, 'no_token');
  });

  it('takes over at once a lease left by a process that no longer exists', () => {
    store.write('c', 'token-a', 'app');
    const dead = newLeaseOwner('x').replace(`/${process.pid}/`, '/999999999/');
    assert.equal(store.acquireRefreshLease('c', dead, 1000, 60_000).outcome, 'acquired');
    assert.equal(store.acquireRefreshLease('c', newLeaseOwner('y'), 1001, 60_000).outcome, 'acquired');
  });

  it('takes over a lease of an earlier process that had the same host and pid (a restarted container)', () => {
    store.write('c', 'token-a', 'app');
    const earlier = newLeaseOwner('x').replace(/\/[^/]*$/, '/from-an-earlier-life');
    assert.equal(store.acquireRefreshLease('c', earlier, 1000, 60_000).outcome, 'acquired');
    assert.equal(store.acquireRefreshLease('c', newLeaseOwner('y'), 1001, 60_000).outcome, 'acquired');
  });

  it('waits out a lease whose holder it cannot prove dead: another pid namespace or boot, or an older format', () => {
    store.write('c', 'token-a', 'app');
    const [host, namespace, boot] = newLeaseOwner('x').split('/');
    const holders = [
      // A container with host networking: same hostname, its own pid namespace.
      `${host}/4026532999/${boot}/999999999/in-a-container`,
      `${host}/4026532999/${boot}/${process.pid}/in-a-container-with-our-pid`,
      // Another machine with the same default hostname.
      `${host}/${namespace}/00000000-0000-0000-0000-000000000000/999999999/elsewhere`,
      // A version that named only host and pid.
      `${host}/999999999/older-version`,
    ];
    for (const holder of holders) {
      assert.equal(store.acquireRefreshLease('c', holder, 1000, 60_000).outcome, 'acquired');
      const lease = store.acquireRefreshLease('c', newLeaseOwner('y'), 1001, 60_000);
      assert.equal(lease.outcome, 'busy', holder);
      store.releaseLease('c', holder);
    }
    store.acquireRefreshLease('c', holders[0], 1000, 60_000);
    const expired = store.acquireRefreshLease('c', newLeaseOwner('z'), 1000 + 60_001, 60_000);
    assert.equal(expired.outcome, 'acquired', 'an expired lease is taken over whoever held it');
  });

  it('commits a rotation only over the token that was sent', () => {
    store.write('c', 'token-a', 'app');
    const owner = newLeaseOwner('o');
    store.acquireRefreshLease('c', owner, 0, 1000);
    assert.equal(store.commitRotation('c', owner, 'token-a', 'token-b'), 'saved');
    assert.equal(store.read('c')?.refreshToken, 'token-b');
    assert.equal(store.commitRotation('c', owner, 'token-a', 'token-c'), 'superseded');
    assert.equal(store.read('c')?.refreshToken, 'token-b');
  });

  it('reports a read-only database as a storage error whose log text names the file, not the token', () => {
    store.write('c', 'secret-token-value', 'app');
    store.pragma('query_only = ON');
    assert.throws(
      () => store.write('c', 'another-secret-value', 'app'),
      (error: Error & { kind?: string; logDetail?: string }) =>
        error.kind === 'storage' &&
        (error.logDetail ?? '').includes(store.path) &&
        !error.message.includes('secret') &&
        !(error.logDetail ?? '').includes('secret'),
    );
  });
});

describe('token database files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  function openError(path: string): TokenStoreError {
    try {
      TokenStore.open(path).close();
    } catch (error) {
      assert.ok(error instanceof TokenStoreError, String(error));
      return error;
    }
    assert.fail('expected the open to fail');
  }

  it('makes an existing folder 0700 and an existing database, -wal and -shm 0600 on every open', () => {
    const folder = join(temp.path, 'aqara-cloud');
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const path = join(folder, 'tokens.db');
    // Another process has the database open, so its -wal and -shm exist, left world-readable.
    const other = new Database(path);
    try {
      other.pragma('journal_mode = WAL');
      other.exec('CREATE TABLE kept (x)');
      other.exec("INSERT INTO kept VALUES ('a')");
      for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodSync(file, 0o644);
      const store = TokenStore.open(path);
      store.close();
      assert.equal(statSync(folder).mode & 0o777, 0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        assert.equal(statSync(file).mode & 0o777, 0o600, file);
      }
    } finally {
      other.close();
    }
  });

  it('refuses a database path that is a symbolic link, with a clear error', () => {
    const real = join(temp.path, 'elsewhere.db');
    writeFileSync(real, '');
    mkdirSync(join(temp.path, 'aqara-cloud'));
    const link = join(temp.path, 'aqara-cloud', 'tokens.db');
    symlinkSync(real, link);
    const error = openError(link);
    assert.match(error.message, /symbolic link, which is refused/);
    assert.ok(error.logDetail.includes(link));
  });

  it('refuses a folder that is a symbolic link', () => {
    const realFolder = join(temp.path, 'real-folder');
    mkdirSync(realFolder);
    symlinkSync(realFolder, join(temp.path, 'aqara-cloud'));
    const error = openError(join(temp.path, 'aqara-cloud', 'tokens.db'));
    assert.match(error.message, /symbolic link, which is refused/);
  });

  it('tells users what failed and what to do, and keeps the path and SQLite text for the log', () => {
    const notAFolder = join(temp.path, 'plain-file');
    writeFileSync(notAFolder, 'x');
    const unusable = openError(join(notAFolder, 'aqara-cloud', 'tokens.db'));
    assert.ok(!unusable.message.includes(temp.path), unusable.message);
    assert.match(
      unusable.message,
      /^token database tokens\.db: cannot open \(\w+\): .+; the log names its full path$/,
    );
    assert.ok(unusable.logDetail.includes(notAFolder));

    const garbage = join(temp.path, 'garbage', 'tokens.db');
    mkdirSync(join(temp.path, 'garbage'));
    writeFileSync(garbage, 'this is not a database, not even close to one. '.repeat(100));
    const damaged = openError(garbage);
    assert.ok(!damaged.message.includes(temp.path), damaged.message);
    assert.match(damaged.message, /SQLITE_NOTADB\): the file is damaged or is not a token database/);
    assert.ok(!damaged.message.includes('file is not a database'), 'no raw SQLite text');
    assert.ok(damaged.logDetail.includes('file is not a database') && damaged.logDetail.includes(garbage));
  });
});
