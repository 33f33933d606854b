import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AqaraClient } from '../../src/lib/aqara/client';
import { runScene } from '../../src/lib/aqara/intents/scenes';
import type { Clock } from '../../src/lib/clock';
import { TokenManager, type TokenManagerOptions } from '../../src/lib/tokens/manager';
import { NO_REFRESH_TOKEN_MESSAGE } from '../../src/lib/tokens/messages';
import { PostgresTokenStore } from '../../src/lib/tokens/postgres-store';
import { TokenStoreError } from '../../src/lib/tokens/store';
import { AqaraSimulator, type SimulatorOptions } from '../../simulator/server';
import { startPostgres, type TestPostgres } from '../../support/postgres';
import { CaptureLogger } from '../../support/capture-logger';
import { ManualClock } from '../helpers/manual-clock';
import { assertNoSecrets, renderError } from '../helpers/secrets';
import { until } from '../helpers/until';

/*
 * Several token managers on one real PostgreSQL, each with a connection pool of its own, as separate
 * Node-RED hosts would be, against the simulator: one refresh token is never sent twice, and the
 * cluster refreshes once per access-token lifetime, whether or not a refresh kills the previous
 * access token.
 */

const REFRESH = 'config.auth.refreshToken';
const SCENE_ID = 'AL.836646140352004096';
const POSITION_ID = 'real1.home';
const DAY_MS = 24 * 3600 * 1000;

/** Real time plus an offset the test moves: leases and waits stay real, token lifetimes can be skipped. */
class SkippingClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
  skip(ms: number): void {
    this.offset += ms;
  }
}

describe('token managers of several hosts on one PostgreSQL', () => {
  let pg: TestPostgres;
  let sim: AqaraSimulator;
  let clock: SkippingClock;
  let next = 0;
  let configId = '';
  const closers: Array<() => Promise<void> | void> = [];
  const logger = new CaptureLogger();

  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg.stop();
  });

  async function startSim(options: SimulatorOptions = {}): Promise<void> {
    const skipping = new SkippingClock();
    const started = new AqaraSimulator({
      positions: [{ positionId: POSITION_ID, positionName: 'Home' }],
      scenes: [{ sceneId: SCENE_ID, name: 'TV PIN entry', positionId: POSITION_ID }],
      now: () => skipping.now(),
      ...options,
    });
    await started.start();
    closers.push(() => started.stop());
    [clock, sim] = [skipping, started];
  }

  beforeEach(async () => {
    while (closers.length > 0) await closers.pop()?.();
    configId = `cfg-${++next}`;
    logger.lines.length = 0;
    await startSim();
  });
  after(async () => {
    while (closers.length > 0) await closers.pop()?.();
  });

  /** A host: its own pool (a distinct application_name makes a distinct pool), client and manager. */
  function host(name: string, overrides: Partial<TokenManagerOptions> = {}, url = pg.url): TokenManager {
    const hostUrl = new URL(url);
    hostUrl.searchParams.set('application_name', `aqara-test-${name}`);
    const store = PostgresTokenStore.open(hostUrl.toString(), { logger });
    const app = sim.apps[0];
    const client = new AqaraClient({
      baseUrl: sim.baseUrl,
      appId: app.appId,
      keyId: app.keyId,
      appKey: app.appKey,
      logger,
      now: () => clock.now(),
    });
    const manager = new TokenManager({
      configId,
      appId: app.appId,
      appKey: app.appKey,
      client,
      store,
      logger,
      clock,
      refreshBackoffMs: 5,
      keepAliveMaxAgeMs: 0,
      ...overrides,
    });
    closers.push(async () => {
      manager.close();
      client.close();
      await store.close();
    });
    return manager;
  }

  async function paste(manager: TokenManager): Promise<string> {
    const token = sim.issueRefreshToken();
    await manager.pasteRefreshToken(token);
    return token;
  }

  function sentRefreshTokens(): string[] {
    return sim.calls
      .filter((call) => call.intent === REFRESH)
      .map((call) => (call.data as { refreshToken: string }).refreshToken);
  }

  it('stores, refreshes once and then runs scenes on the cached access token, even with PostgreSQL down', async () => {
    const manager = host('solo');
    await until(() => manager.state === 'no_token', 'the first look at PostgreSQL');
    const error = await runScene(manager, SCENE_ID).then(
      () => assert.fail('no token is stored'),
      (failure: Error) => failure,
    );
    assert.ok(error.message.includes(NO_REFRESH_TOKEN_MESSAGE));
    assert.throws(() => manager.setRefreshToken(sim.issueRefreshToken()), /use pasteRefreshToken/);

    const pasted = await paste(manager);
    assert.equal(manager.state, 'ready');
    await runScene(manager, SCENE_ID);
    assert.equal(sim.callCount(REFRESH), 1);
    const stored = await manager.currentStatus();
    assert.equal(stored.configured, true);
    assert.equal(stored.access_token_status, 'valid');
    assert.equal(sim.isRefreshTokenValid(pasted), false, 'rotated');

    // A cached access token needs no database: scenes run while the server is down.
    await pg.halt();
    try {
      for (let run = 0; run < 3; run++) await runScene(manager, SCENE_ID);
      assert.equal(sim.sceneRuns.length, 4);
    } finally {
      await pg.resume();
    }
  });

  for (const revoke of [false, true]) {
    const mode = revoke ? 'a refresh kills the previous access token' : 'old access tokens stay valid';
    it(`${mode}: three hosts racing with no cached token refresh once in all`, async () => {
      await startSim({ refreshRevokesAccessToken: revoke });
      const hosts = ['a', 'b', 'c'].map((name) => host(name));
      await paste(hosts[0]);
      sim.injectFault({ fault: { kind: 'delay', ms: 200 }, intent: REFRESH });
      await Promise.all(
        hosts.flatMap((manager) => Array.from({ length: 5 }, () => runScene(manager, SCENE_ID))),
      );
      assert.equal(sim.callCount(REFRESH), 1, 'one refresh for the cluster');
      assert.equal(sim.sceneRuns.length, 15);

      // Interleaved calls afterwards cost nothing more.
      for (let round = 0; round < 4; round++) {
        for (const manager of hosts) await runScene(manager, SCENE_ID);
      }
      assert.equal(sim.callCount(REFRESH), 1);

      // A whole lifetime later every host needs a new token at once: still one refresh.
      clock.skip(7 * DAY_MS);
      await Promise.all(hosts.map((manager) => runScene(manager, SCENE_ID)));
      for (const manager of hosts) await runScene(manager, SCENE_ID);
      assert.equal(sim.callCount(REFRESH), 2, 'one more refresh per access-token lifetime');
      const sent = sentRefreshTokens();
      assert.equal(new Set(sent).size, sent.length, 'no refresh token was sent twice');
      const row = await hosts[1].currentStatus();
      assert.equal(row.state, 'ready');
    });
  }

  it('a refresh that kills the old access token elsewhere: the refused host takes the new one, no ping-pong', async () => {
    await startSim({ refreshRevokesAccessToken: true });
    const a = host('a', { keepAliveMaxAgeMs: 3 * DAY_MS });
    const b = host('b');
    await paste(a);
    await runScene(a, SCENE_ID);
    await runScene(b, SCENE_ID);
    assert.equal(sim.callCount(REFRESH), 1);

    // A's keep-alive refreshes an old refresh token while B's access token is still valid by the clock:
    // the refresh kills it, and B is refused (108) on its next call.
    clock.skip(4 * DAY_MS);
    assert.equal(await a.keepAliveTick(), 'refreshed');
    assert.equal(sim.callCount(REFRESH), 2);
    for (let round = 0; round < 5; round++) {
      await runScene(b, SCENE_ID);
      await runScene(a, SCENE_ID);
    }
    assert.equal(sim.callCount(REFRESH), 2, 'B read the store instead of refreshing A out');
    assert.ok(logger.lines.some((line) => line.includes('taken from the token database')));
  });

  it('keeps an idle refresh token alive with one refresh for the whole cluster', async () => {
    const hosts = ['a', 'b', 'c'].map((name) => host(name, { keepAliveMaxAgeMs: 3 * DAY_MS }));
    await paste(hosts[0]);
    await runScene(hosts[0], SCENE_ID);
    clock.skip(4 * DAY_MS);
    sim.injectFault({ fault: { kind: 'delay', ms: 150 }, intent: REFRESH });
    const outcomes = await Promise.all(hosts.map((manager) => manager.keepAliveTick()));
    assert.ok(
      outcomes.every((outcome) => outcome === 'refreshed' || outcome === 'fresh'),
      outcomes.join(),
    );
    assert.equal(sim.callCount(REFRESH), 2, 'the first refresh and one keep-alive');
    assert.deepEqual(await Promise.all(hosts.map((manager) => manager.keepAliveTick())), [
      'fresh',
      'fresh',
      'fresh',
    ]);
  });

  it('a token pasted on one host is the one every host uses next', async () => {
    const [a, b] = [host('a'), host('b')];
    await paste(a);
    await runScene(a, SCENE_ID);
    const pasted = await paste(b);
    // B dropped its cached token with the paste; A's stays valid and is not B's business.
    await runScene(b, SCENE_ID);
    assert.equal(sentRefreshTokens().at(-1), pasted);
    assert.equal(sim.isRefreshTokenValid(pasted), false);
  });

  it('without the lease nothing is refreshed: PostgreSQL down fails the refresh clearly, and everything recovers', async () => {
    const manualClock = new ManualClock();
    const manager = host('outage', { clock: manualClock });
    const watcher = host('watcher');
    await paste(manager);
    await until(() => watcher.state !== 'refreshing', 'the watcher has looked');
    await pg.halt();
    try {
      const failure = await manager.getAccessToken().then(
        () => assert.fail('no refresh without the lease'),
        (error: Error) => error,
      );
      assert.match(failure.message, /cannot reach|does not answer/);
      assert.match(failure.message, /not refreshing without the refresh lease/);
      assert.equal(sim.callCount(REFRESH), 0, 'nothing was sent to Aqara');
      const pasteFailure = await manager.pasteRefreshToken(sim.issueRefreshToken(), 300).then(
        () => assert.fail('the paste cannot be stored'),
        (error: Error) => error,
      );
      assert.ok(pasteFailure instanceof TokenStoreError && pasteFailure.locked, String(pasteFailure));
      const status = await watcher.currentStatus();
      assert.equal(watcher.state, 'error');
      assert.match(status.last_error ?? '', /token database \(PostgreSQL\): cannot read the refresh token/);
    } finally {
      await pg.resume();
    }
    await until(() => watcher.state === 'ready', 'the state recovers without a redeploy', 20_000);
    await manager.getAccessToken();
    assert.equal(manager.state, 'ready');
    assert.equal(sim.callCount(REFRESH), 1);
  });

  it('a wrong password, an unknown database or a bad URL: clear errors, no secret in any text, no crash', async () => {
    const url = new URL(pg.url);
    const password = decodeURIComponent(url.password);
    const texts: string[] = [];

    const wrongPassword = new URL(pg.url);
    wrongPassword.password = 'not-the-password-a7f3';
    const denied = host('denied', {}, wrongPassword.toString());
    const deniedError = await denied.pasteRefreshToken(sim.issueRefreshToken()).then(
      () => assert.fail('the server refuses the password'),
      (error: Error) => error,
    );
    assert.match(deniedError.message, /\(28P01\): the server refused the user or password/);
    texts.push(...renderError(deniedError), JSON.stringify(await denied.currentStatus()));

    const noDatabase = new URL(pg.url);
    noDatabase.pathname = '/no_such_database';
    const missing = host('missing', {}, noDatabase.toString());
    const missingError = await missing.pasteRefreshToken(sim.issueRefreshToken()).then(
      () => assert.fail('no such database'),
      (error: Error) => error,
    );
    assert.match(missingError.message, /\(3D000\): the database named in the URL does not exist/);
    texts.push(...renderError(missingError));

    const badUrls = [
      'http://user:pw-secret-123@host/db',
      'postgres://user:pw-secret-456@[bad',
      // A password whose escape cannot be decoded.
      'postgres://user:pw-secret-789%E0%A4%A@host/db',
    ];
    for (const bad of badUrls) {
      const error = (() => {
        try {
          PostgresTokenStore.open(bad);
        } catch (thrown) {
          return thrown as Error;
        }
        return assert.fail('a URL that is not postgres:// is refused at once');
      })();
      assert.match(error.message, /not a postgres:\/\/ connection string/);
      texts.push(...renderError(error));
      assertNoSecrets(texts, { password: ['pw-secret-123', 'pw-secret-456', 'pw-secret-789'] });
    }
    texts.push(...logger.lines);
    assertNoSecrets(texts, {
      password: [password, 'not-the-password-a7f3'],
      'database URL': [pg.url, wrongPassword.toString(), noDatabase.toString()],
    });
  });
});
