import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PostgresTokenStore } from '../../src/lib/tokens/postgres-store';
import { newLeaseOwner, TokenStore } from '../../src/lib/tokens/store';
import type { AnyTokenStore, LeaseResult } from '../../src/lib/tokens/token-store';
import { startPostgres, type TestPostgres } from '../../support/postgres';
import { makeTempDir } from '../../support/temp-dir';

/**
 * The same assertions against both token stores: SQLite (one host) and PostgreSQL (a real server,
 * several hosts). `other` is a second client of the same database: for PostgreSQL a pool of its own,
 * as another host would have; SQLite keeps one connection per file per process by design.
 */
interface Backend {
  name: string;
  start(): Promise<{ store: AnyTokenStore; other: AnyTokenStore; stop(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    async start() {
      const temp = makeTempDir();
      const store = TokenStore.open(join(temp.path, 'aqara-cloud', 'tokens.db'));
      return {
        store,
        other: store,
        async stop() {
          store.close();
          temp.remove();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    async start() {
      const server: TestPostgres = await startPostgres();
      const store = PostgresTokenStore.open(server.url);
      const url = new URL(server.url);
      url.searchParams.set('application_name', 'aqara-conformance-other-host');
      const other = PostgresTokenStore.open(url.toString());
      return {
        store,
        other,
        async stop() {
          await Promise.all([store.close(), other.close()]);
          await server.stop();
        },
      };
    },
  },
];

/** Lease expiry is the store's business (the server's clock for PostgreSQL): poll, never a fixed wait. */
async function leaseWhenExpired(
  store: AnyTokenStore,
  configId: string,
  owner: string,
  leaseMs: number,
): Promise<LeaseResult> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lease = await store.acquireRefreshLease(configId, owner, Date.now(), leaseMs);
    if (lease.outcome !== 'busy' || Date.now() > deadline) return lease;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const backend of BACKENDS) {
  describe(`token store contract: ${backend.name}`, () => {
    let store: AnyTokenStore;
    let other: AnyTokenStore;
    let stop: () => Promise<void>;
    let next = 0;
    /** A config id of its own per test: the tests share one database. */
    const configId = (): string => `cfg-${++next}`;

    before(async () => {
      ({ store, other, stop } = await backend.start());
    });
    after(async () => {
      await stop();
    });

    it('reads nothing for an unknown config, writes, reads back and counts generations', async () => {
      const id = configId();
      assert.equal(await store.read(id), undefined);
      const first = await store.write(id, 'token-a', 'app-1', new Date('2025-12-11T18:30:00.123Z'));
      assert.equal(first.refreshToken, 'token-a');
      assert.equal(first.appId, 'app-1');
      assert.equal(first.updatedAt.toISOString(), '2025-12-11T18:30:00.123Z');
      assert.equal(first.refusedAt, undefined);
      const second = await store.write(id, 'token-b', 'app-1');
      assert.equal(second.generation, first.generation + 1);
      const seen = await other.read(id);
      assert.equal(seen?.refreshToken, 'token-b', 'another client sees the write');
      assert.equal(seen?.generation, second.generation);
      assert.equal(await store.read(configId()), undefined, 'other configs are apart');
    });

    it('gives the refresh lease to one owner at a time; its own owner may take it again', async () => {
      const id = configId();
      await store.write(id, 'token-a', 'app');
      const alice = newLeaseOwner('alice');
      const bob = newLeaseOwner('bob');
      const mine = await store.acquireRefreshLease(id, alice, Date.now(), 60_000);
      assert.equal(mine.outcome, 'acquired');
      assert.equal(mine.outcome === 'acquired' && mine.token.refreshToken, 'token-a');
      const theirs = await other.acquireRefreshLease(id, bob, Date.now(), 60_000);
      assert.equal(theirs.outcome, 'busy');
      assert.equal(theirs.outcome === 'busy' && theirs.holder, alice);
      assert.equal((await store.acquireRefreshLease(id, alice, Date.now(), 60_000)).outcome, 'acquired');
      await store.releaseLease(id, bob);
      assert.equal(
        (await other.acquireRefreshLease(id, bob, Date.now(), 60_000)).outcome,
        'busy',
        'only the holder releases',
      );
      await store.releaseLease(id, alice);
      assert.equal((await other.acquireRefreshLease(id, bob, Date.now(), 60_000)).outcome, 'acquired');
      assert.equal(
        (await store.acquireRefreshLease(configId(), alice, Date.now(), 60_000)).outcome,
        'no_token',
      );
    });

    it('lets exactly one of many racing clients take the lease', async () => {
      for (let round = 0; round < 5; round++) {
        const id = configId();
        await store.write(id, `token-${round}`, 'app');
        const attempts = Array.from({ length: 8 }, (_, index) =>
          (index % 2 === 0 ? store : other).acquireRefreshLease(
            id,
            newLeaseOwner(`racer-${round}-${index}`),
            Date.now(),
            60_000,
          ),
        );
        const outcomes = (await Promise.all(attempts)).map((lease) => lease.outcome);
        assert.equal(outcomes.filter((outcome) => outcome === 'acquired').length, 1, outcomes.join());
        assert.equal(outcomes.filter((outcome) => outcome === 'busy').length, 7, outcomes.join());
      }
    });

    it('takes over a lease once it has expired, not before', async () => {
      const id = configId();
      await store.write(id, 'token-a', 'app');
      // Not provably dead (another host, as far as the lease owner says): only expiry frees it.
      const elsewhere = 'another-host/4026531836/00000000-0000-0000-0000-000000000000/4242/x';
      assert.equal((await store.acquireRefreshLease(id, elsewhere, Date.now(), 400)).outcome, 'acquired');
      const early = await other.acquireRefreshLease(id, newLeaseOwner('early'), Date.now(), 60_000);
      assert.equal(early.outcome, 'busy');
      const late = await leaseWhenExpired(other, id, newLeaseOwner('late'), 60_000);
      assert.equal(late.outcome, 'acquired');
    });

    it('takes over at once a lease whose holder is provably dead', async () => {
      const id = configId();
      await store.write(id, 'token-a', 'app');
      const dead = newLeaseOwner('x').replace(`/${process.pid}/`, '/999999999/');
      assert.equal((await store.acquireRefreshLease(id, dead, Date.now(), 60_000)).outcome, 'acquired');
      assert.equal(
        (await other.acquireRefreshLease(id, newLeaseOwner('y'), Date.now(), 60_000)).outcome,
        'acquired',
      );
    });

    it('commits a rotation only over the token that was sent, and releases the lease either way', async () => {
      const id = configId();
      await store.write(id, 'token-a', 'app');
      const alice = newLeaseOwner('alice');
      const before = (await store.read(id))!;
      await store.acquireRefreshLease(id, alice, Date.now(), 60_000);
      assert.equal(
        await store.commitRotation(id, alice, 'token-a', 'token-b', new Date('2026-01-02T03:04:05.006Z')),
        'saved',
      );
      const after = (await other.read(id))!;
      assert.equal(after.refreshToken, 'token-b');
      assert.equal(after.generation, before.generation + 1);
      assert.equal(after.updatedAt.toISOString(), '2026-01-02T03:04:05.006Z');
      const bob = newLeaseOwner('bob');
      assert.equal(
        (await other.acquireRefreshLease(id, bob, Date.now(), 60_000)).outcome,
        'acquired',
        'released by the commit',
      );
      await other.releaseLease(id, bob);

      const carol = newLeaseOwner('carol');
      await store.acquireRefreshLease(id, carol, Date.now(), 60_000);
      assert.equal(await store.commitRotation(id, carol, 'token-a', 'token-c'), 'superseded');
      assert.equal((await store.read(id))?.refreshToken, 'token-b', 'the row keeps what it had');
      assert.equal(
        (await other.acquireRefreshLease(id, newLeaseOwner('dave'), Date.now(), 60_000)).outcome,
        'acquired',
        'released though superseded',
      );
    });

    it('keeps a pasted token over a refresh that was in flight', async () => {
      const id = configId();
      await store.write(id, 'token-a', 'app');
      const refresher = newLeaseOwner('refresher');
      await store.acquireRefreshLease(id, refresher, Date.now(), 60_000);
      await other.write(id, 'pasted-token', 'app');
      assert.equal(await store.commitRotation(id, refresher, 'token-a', 'token-b'), 'superseded');
      assert.equal((await other.read(id))?.refreshToken, 'pasted-token');
      assert.equal(
        (await other.acquireRefreshLease(id, newLeaseOwner('next'), Date.now(), 60_000)).outcome,
        'acquired',
        'a paste frees the lease',
      );
    });

    it('after losing the lease: superseded if the new holder committed, saved if the row still holds the sent token', async () => {
      const id = configId();
      await store.write(id, 'token-a', 'app');
      const slow = newLeaseOwner('slow');
      const elsewhere = `other-host/1/00000000-0000-0000-0000-000000000000/1/slow`;
      await store.acquireRefreshLease(id, elsewhere, Date.now(), 300);
      const fast = newLeaseOwner('fast');
      assert.equal((await leaseWhenExpired(other, id, fast, 60_000)).outcome, 'acquired');
      assert.equal(await other.commitRotation(id, fast, 'token-a', 'token-fast'), 'saved');
      assert.equal(await store.commitRotation(id, elsewhere, 'token-a', 'token-slow'), 'superseded');
      assert.equal((await store.read(id))?.refreshToken, 'token-fast');

      // Nobody rotated meanwhile: the late answer's token is the only live one and must be kept.
      await store.acquireRefreshLease(id, elsewhere, Date.now(), 300);
      assert.equal((await leaseWhenExpired(other, id, slow, 60_000)).outcome, 'acquired');
      assert.equal(await store.commitRotation(id, elsewhere, 'token-fast', 'token-late'), 'saved');
      assert.equal((await other.read(id))?.refreshToken, 'token-late');
      assert.equal(await other.commitRotation(id, slow, 'token-fast', 'token-never'), 'superseded');
    });

    it('records a renewal for the same token only, releasing only its own lease', async () => {
      const id = configId();
      await store.write(id, 'token-a', 'app', new Date('2025-01-01T00:00:00.000Z'));
      const owner = newLeaseOwner('renewer');
      await store.acquireRefreshLease(id, owner, Date.now(), 60_000);
      await store.recordRenewal(id, owner, 'token-a', new Date('2025-02-01T00:00:00.000Z'));
      assert.equal((await other.read(id))?.updatedAt.toISOString(), '2025-02-01T00:00:00.000Z');
      assert.equal(
        (await other.acquireRefreshLease(id, newLeaseOwner('next'), Date.now(), 60_000)).outcome,
        'acquired',
      );
      await store.recordRenewal(id, owner, 'token-a', new Date('2025-03-01T00:00:00.000Z'));
      assert.equal(
        (await other.acquireRefreshLease(id, newLeaseOwner('third'), Date.now(), 60_000)).outcome,
        'busy',
        "another's lease stays",
      );
      await store.recordRenewal(id, owner, 'token-other', new Date('2025-04-01T00:00:00.000Z'));
      assert.equal(
        (await store.read(id))?.updatedAt.toISOString(),
        '2025-03-01T00:00:00.000Z',
        'not for another token',
      );
    });

    it('marks only the refused token, and a new token clears the mark', async () => {
      const id = configId();
      await store.write(id, 'token-a', 'app');
      await store.markRefused(id, 'token-other', new Date('2025-05-05T05:05:05.000Z'));
      assert.equal((await store.read(id))?.refusedAt, undefined);
      await store.markRefused(id, 'token-a', new Date('2025-05-05T05:05:05.000Z'));
      assert.equal((await other.read(id))?.refusedAt?.toISOString(), '2025-05-05T05:05:05.000Z');
      await other.write(id, 'token-b', 'app');
      assert.equal((await store.read(id))?.refusedAt, undefined);
      await store.markRefused(id, 'token-b');
      const owner = newLeaseOwner('o');
      await store.acquireRefreshLease(id, owner, Date.now(), 60_000);
      await store.commitRotation(id, owner, 'token-b', 'token-c');
      assert.equal((await store.read(id))?.refusedAt, undefined, 'a rotation clears it too');
    });

    it('keeps the access token of the cluster only where it is shared, and a paste drops it', async () => {
      const id = configId();
      await store.write(id, 'token-a', 'app');
      const owner = newLeaseOwner('o');
      await store.acquireRefreshLease(id, owner, Date.now(), 60_000);
      const access = { sealed: 'v1.sealed-bytes', expiresAt: 1_900_000_000_123 };
      await store.commitRotation(id, owner, 'token-a', 'token-b', new Date(), access);
      const stored = (await other.read(id))!;
      if (store.sharesAccessToken) {
        assert.deepEqual(stored.access, access);
        await store.acquireRefreshLease(id, owner, Date.now(), 60_000);
        await store.recordRenewal(id, owner, 'token-b', new Date(), {
          sealed: 'v1.renewed',
          expiresAt: null,
        });
        assert.deepEqual((await other.read(id))?.access, { sealed: 'v1.renewed', expiresAt: null });
      } else {
        assert.equal(stored.access, undefined, 'SQLite never writes an access token to disk');
      }
      await other.write(id, 'pasted', 'app');
      assert.equal((await store.read(id))?.access, undefined);
    });

    it('deletes a config and nothing else', async () => {
      const [gone, kept] = [configId(), configId()];
      await store.write(gone, 'token-a', 'app');
      await store.write(kept, 'token-b', 'app');
      await other.delete(gone);
      assert.equal(await store.read(gone), undefined);
      assert.equal((await store.read(kept))?.refreshToken, 'token-b');
    });
  });
}
