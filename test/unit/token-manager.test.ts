import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAqaraError } from '../../src/lib/aqara/errors';
import { NO_REFRESH_TOKEN_MESSAGE, REFRESH_TOKEN_EXPIRED_MESSAGE } from '../../src/lib/tokens/messages';
import type { TokenClient } from '../../src/lib/tokens/manager';
import { TokenStore, TokenStoreError } from '../../src/lib/tokens/store';
import { ManualClock } from '../helpers/manual-clock';
import { assertNoSecrets, renderError } from '../helpers/secrets';
import { CONFIG_ID, type Harness, SCENE_ID, startHarness } from '../helpers/token-harness';
import { runScene } from '../../src/lib/aqara/intents/scenes';
import { until } from '../helpers/until';

const REFRESH = 'config.auth.refreshToken';
const RUN = 'config.scene.run';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the promise to reject');
}

describe('token manager against the simulator', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('fails with the exact contract text when no refresh token is stored', async () => {
    const manager = h.makeManager();
    assert.equal(manager.state, 'no_token');
    const error = await rejection(runScene(manager, SCENE_ID));
    assert.ok(error.message.includes(NO_REFRESH_TOKEN_MESSAGE));
    assert.equal(h.sim.callCount(), 0, 'no request is sent without a token');
    assert.deepEqual(manager.status(), {
      configured: false,
      message: 'No refresh token configured. Use POST /aqara/refresh-token to add one.',
      last_error: NO_REFRESH_TOKEN_MESSAGE,
      state: 'no_token',
    });
  });

  it('refreshes once, then serves the cached access token with no network call', async () => {
    h.seedToken();
    const manager = h.makeManager();
    assert.equal(manager.status().access_token_status, 'not_cached');
    await runScene(manager, SCENE_ID);
    await runScene(manager, SCENE_ID);
    await manager.getAccessToken();
    assert.equal(h.sim.callCount(REFRESH), 1);
    assert.equal(h.sim.callCount(RUN), 2);
    assert.equal(h.sim.sceneRuns.length, 2);
    const status = manager.status();
    assert.equal(status.access_token_status, 'valid');
    assert.equal(status.state, 'ready');
    assert.ok(
      status.access_token_expires_in_seconds! > 604800 - 5 &&
        status.access_token_expires_in_seconds! <= 604800,
    );
  });

  it('lets 200 concurrent callers with no cached token share exactly one refresh', async () => {
    h.seedToken();
    h.sim.injectFault({ fault: { kind: 'delay', ms: 100 }, intent: REFRESH });
    const manager = h.makeManager();
    const results = await Promise.all(Array.from({ length: 200 }, () => runScene(manager, SCENE_ID)));
    assert.equal(results.length, 200);
    assert.equal(h.sim.callCount(REFRESH), 1);
    assert.equal(h.sim.sceneRuns.length, 200);
  });

  it('commits the rotated refresh token before handing out the access token, and a restart uses it', async () => {
    const first = h.seedToken();
    const manager = h.makeManager();
    let storedWhenHandedOut: string | undefined;
    const token = await manager.getAccessToken().then((accessToken) => {
      storedWhenHandedOut = h.store.read(CONFIG_ID)?.refreshToken;
      return accessToken;
    });
    assert.ok(token);
    assert.notEqual(storedWhenHandedOut, first, 'the database already holds the rotated token');
    assert.equal(h.sim.isRefreshTokenValid(first), false, 'the simulator killed the old token');
    assert.equal(h.sim.isRefreshTokenValid(storedWhenHandedOut!), true);

    // A restart: a new store connection and a new manager on the same file.
    manager.close();
    h.store.close();
    const reopened = TokenStore.open(h.dbPath);
    const restarted = h.makeManager({ store: reopened });
    await runScene(restarted, SCENE_ID);
    assert.equal(h.sim.callCount(REFRESH), 2);
    assert.equal(h.sim.refreshTokenUseCount(storedWhenHandedOut!), 1);
    assert.equal(h.sim.isRefreshTokenValid(reopened.read(CONFIG_ID)!.refreshToken), true);
    reopened.close();
  });

  it('drops a dead access token, refreshes once and retries once', async () => {
    h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    h.sim.expireAccessTokens();
    await runScene(manager, SCENE_ID);
    assert.equal(h.sim.callCount(REFRESH), 2);
    assert.equal(h.sim.callCount(RUN), 3, 'one refused run, one retried run after the first');
    assert.equal(h.sim.sceneRuns.length, 2);
  });

  it('does not refresh twice when several calls get a late 108 for the same replaced token', async () => {
    h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    h.sim.expireAccessTokens();
    await Promise.all(Array.from({ length: 20 }, () => runScene(manager, SCENE_ID)));
    assert.equal(h.sim.callCount(REFRESH), 2);
    assert.equal(h.sim.sceneRuns.length, 21);
  });

  it('retries only once after a 108: a token Aqara keeps refusing surfaces as an error', async () => {
    h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    h.sim.injectFault({ fault: { kind: 'code', code: 108 }, intent: RUN, times: Infinity });
    const error = await rejection(runScene(manager, SCENE_ID));
    assert.ok(isAqaraError(error) && error.kind === 'access_token');
    assert.equal(h.sim.callCount(REFRESH), 2, 'exactly one extra refresh, no loop');
    assert.equal(h.sim.callCount(RUN), 3);
  });

  it('a retry token revoked after Aqara accepted it gets one more refresh and try, not a failed run', async () => {
    h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    h.sim.expireAccessTokens();
    // The retry after the refresh is held back, so another run can use the fresh token and a second
    // revocation can land before the retry is answered: the case of 4 processes under load.
    manager.once('refreshed', () => h.sim.injectFault({ fault: { kind: 'delay', ms: 3000 }, intent: RUN }));
    const late = runScene(manager, SCENE_ID);
    await until(() => h.sim.callCount(RUN) === 3, 'the retry reaches the simulator');
    await runScene(manager, SCENE_ID);
    h.sim.expireAccessTokens();
    await late;
    assert.equal(h.sim.callCount(REFRESH), 3, 'one refresh per revocation');
    assert.equal(h.sim.callCount(RUN), 5, 'first run, refused, held-back retry refused, other run, last try');
    assert.equal(h.sim.sceneRuns.length, 3);
  });

  it('treats 804 (token failed) like 108: drops the access token, refreshes once and retries once', async () => {
    h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    h.sim.injectFault({ fault: { kind: 'code', code: 804, message: 'token failed' }, intent: RUN, times: 1 });
    await runScene(manager, SCENE_ID);
    assert.equal(h.sim.callCount(REFRESH), 2, 'one refresh after the 804');
    assert.equal(h.sim.callCount(RUN), 3, 'the refused run and its one retry');
    assert.equal(h.sim.sceneRuns.length, 2);
  });

  it('keeps the current refresh token when the answer carries none', async () => {
    await h.close();
    h = await startHarness({ rotateRefreshToken: false });
    const token = h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    assert.equal(h.store.read(CONFIG_ID)?.refreshToken, token);
    assert.equal(h.sim.isRefreshTokenValid(token), true);
  });

  it('backs off and retries a transient refresh failure a bounded number of times', async () => {
    h.seedToken();
    // Aqara's own 500 envelope: a bare HTTP 5xx on a refresh may have rotated the token (lost answer).
    h.sim.injectFault({ fault: { kind: 'http500', body: 'json' }, intent: REFRESH, times: 2 });
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    assert.equal(h.sim.callCount(REFRESH), 3);

    const other = h.makeManager({ configId: 'cfg-2' });
    const token = h.seedToken('cfg-2');
    h.sim.injectFault({ fault: { kind: 'code', code: 104 }, intent: REFRESH, times: Infinity });
    const error = await rejection(runScene(other, SCENE_ID));
    assert.ok(isAqaraError(error) && error.kind === 'transient');
    assert.match(error.message, /104/);
    assert.equal(h.sim.callCount(REFRESH), 6, 'three attempts, then it gives up');
    assert.equal(h.sim.isRefreshTokenValid(token), true, 'a failed refresh never loses the stored token');
    assert.equal(other.state, 'error');
    assert.equal(other.status().last_error, error.message);
  });

  it('backs off with growing delays measured on the injected clock', async () => {
    const clock = new ManualClock();
    await h.close();
    h = await startHarness({}, clock);
    h.seedToken();
    h.sim.injectFault({ fault: { kind: 'code', code: 429 }, intent: REFRESH, times: 2 });
    const manager = h.makeManager({ refreshBackoffMs: 1000 });
    await runScene(manager, SCENE_ID);
    assert.deepEqual(clock.sleeps, [1000, 2000]);
  });

  it('does not replay a refresh whose answer was lost, and says so when the token turns out rotated', async () => {
    const sent = h.seedToken();
    h.sim.injectFault({ fault: { kind: 'dropAfterProcessing' }, intent: REFRESH });
    const manager = h.makeManager();
    const lost = await rejection(runScene(manager, SCENE_ID));
    assert.ok(isAqaraError(lost) && lost.answerLost);
    assert.match(lost.message, /answer was lost/);
    assert.match(lost.message, /paste a new refresh token/);
    assert.equal(h.sim.callCount(REFRESH), 1, 'not replayed blindly');
    assert.equal(h.sim.isRefreshTokenValid(sent), false, 'the simulator did rotate it');

    const dead = await rejection(runScene(manager, SCENE_ID));
    assert.ok(dead.message.includes(REFRESH_TOKEN_EXPIRED_MESSAGE));
    assert.match(dead.message, /answer was lost/);
    assert.equal(manager.state, 'expired');
  });

  it('recovers by itself when a lost refresh never reached Aqara', async () => {
    h.seedToken();
    h.sim.injectFault({ fault: { kind: 'drop' }, intent: REFRESH });
    const manager = h.makeManager();
    const lost = await rejection(runScene(manager, SCENE_ID));
    assert.ok(isAqaraError(lost) && lost.answerLost);
    await runScene(manager, SCENE_ID);
    assert.equal(manager.state, 'ready');
    assert.equal(manager.status().last_error, null);
  });

  it('times out a refresh that never answers without replaying it', async () => {
    h.seedToken();
    h.sim.injectFault({ fault: { kind: 'hang' }, intent: REFRESH });
    const manager = h.makeManager({ client: h.makeClient(200) });
    const lost = await rejection(runScene(manager, SCENE_ID));
    assert.ok(isAqaraError(lost) && lost.answerLost);
    assert.equal(h.sim.callCount(REFRESH), 1);
  });

  it('reports a dead refresh token with the exact contract text and the Aqara code', async () => {
    const token = h.seedToken();
    h.sim.expireRefreshToken(token);
    const manager = h.makeManager();
    const error = await rejection(runScene(manager, SCENE_ID));
    assert.ok(error.message.includes(REFRESH_TOKEN_EXPIRED_MESSAGE));
    assert.match(error.message, /2007/);
    assert.equal(manager.state, 'expired');
    assert.equal(h.sim.callCount(REFRESH), 1, 'a dead token is not retried');
  });

  it('reports wrong app credentials as such', async () => {
    h.seedToken();
    const app = h.sim.apps[0];
    const { AqaraClient } = await import('../../src/lib/aqara/client');
    const client = new AqaraClient({
      baseUrl: h.sim.baseUrl,
      appId: app.appId,
      keyId: app.keyId,
      appKey: 'wrong-key',
    });
    const manager = h.makeManager({ client });
    const error = await rejection(runScene(manager, SCENE_ID));
    assert.ok(isAqaraError(error) && error.kind === 'app_credentials');
    assert.match(error.message, /App Key/);
    assert.equal(manager.state, 'auth_error');
    client.close();
  });

  it('a pasted refresh token drops the cached access token', async () => {
    h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    const states: string[] = [];
    manager.on('state', (state: string) => states.push(state));
    const { updatedAt } = manager.setRefreshToken(h.sim.issueRefreshToken());
    assert.ok(updatedAt instanceof Date);
    assert.equal(manager.status().access_token_status, 'not_cached');
    await runScene(manager, SCENE_ID);
    assert.equal(h.sim.callCount(REFRESH), 2);
    assert.ok(states.includes('ready'));
  });

  it('a token stored by another process clears a no-token state', async () => {
    const manager = h.makeManager();
    await rejection(runScene(manager, SCENE_ID));
    h.seedToken();
    await runScene(manager, SCENE_ID);
    assert.equal(manager.state, 'ready');
  });

  it('keeps a rotated token it cannot save in memory, never sends the old one again, and saves it later', async () => {
    const original = h.seedToken();
    h.sim.injectFault({ fault: { kind: 'delay', ms: 150 }, intent: REFRESH });
    const manager = h.makeManager();
    const run = runScene(manager, SCENE_ID);
    await new Promise((resolve) => setTimeout(resolve, 60));
    h.store.pragma('query_only = ON'); // the disk turns read-only while the refresh is in flight
    await run;
    assert.equal(manager.state, 'error');
    assert.match(manager.status().last_error ?? '', /cannot save the rotated refresh token/);
    assert.ok(
      h.logger.lines.some((line) => line.startsWith('error: the rotated refresh token could not be saved')),
    );
    assert.equal(h.store.read(CONFIG_ID)?.refreshToken, original, 'nothing was written');

    h.sim.expireAccessTokens();
    await runScene(manager, SCENE_ID);
    assert.equal(h.sim.refreshTokenUseCount(original), 1, 'the dead token is never sent again');

    h.store.pragma('query_only = OFF');
    await runScene(manager, SCENE_ID);
    const saved = h.store.read(CONFIG_ID)!.refreshToken;
    assert.notEqual(saved, original);
    assert.equal(h.sim.isRefreshTokenValid(saved), true, 'the database now holds the live token');
    assert.equal(manager.state, 'ready');
  });

  it('refuses to refresh when the database cannot be written, instead of risking the token', async () => {
    const token = h.seedToken();
    h.store.pragma('query_only = ON');
    const manager = h.makeManager();
    const error = await rejection(runScene(manager, SCENE_ID));
    assert.ok(isAqaraError(error) && error.kind === 'storage');
    assert.equal(h.sim.callCount(REFRESH), 0);
    assert.equal(h.sim.isRefreshTokenValid(token), true);
    h.store.pragma('query_only = OFF');
  });

  it('never lets a secret into a log line, an error or a status', async () => {
    const app = h.sim.apps[0];
    const texts: string[] = [];
    const first = h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    h.sim.expireAccessTokens();
    await runScene(manager, SCENE_ID);
    for (const code of [106, 108, 302, 429, 2006]) {
      h.sim.injectFault({ fault: { kind: 'code', code }, intent: RUN });
      await runScene(manager, SCENE_ID).catch((error: unknown) => texts.push(...renderError(error)));
    }
    h.sim.expireAccessTokens();
    h.sim.injectFault({ fault: { kind: 'dropAfterProcessing' }, intent: REFRESH });
    await runScene(manager, SCENE_ID).catch((error: unknown) => texts.push(...renderError(error)));
    await runScene(manager, SCENE_ID).catch((error: unknown) => texts.push(...renderError(error)));
    texts.push(...h.logger.lines, JSON.stringify(manager.status()));
    const accessTokens = h.sim.calls.map((call) => call.accessToken).filter((t): t is string => !!t);
    assert.ok(accessTokens.length > 0);
    assertNoSecrets(texts, {
      'app key': [app.appKey],
      'access token': accessTokens,
      'refresh token': [first, ...h.sim.currentRefreshTokens(), h.store.read(CONFIG_ID)!.refreshToken],
    });
  });
});

describe('access token expiry with an injected clock', () => {
  for (const [format, expected] of [
    ['string', 'valid'],
    ['number', 'valid'],
    ['missing', 'cached_no_expiry'],
    ['garbage', 'cached_no_expiry'],
  ] as const) {
    it(`handles expiresIn sent as ${format}`, async () => {
      const h = await startHarness({ expiresInFormat: format });
      try {
        h.seedToken();
        const manager = h.makeManager();
        await runScene(manager, SCENE_ID);
        assert.equal(manager.status().access_token_status, expected);
        if (format === 'garbage')
          assert.ok(h.logger.lines.some((line) => line.includes('unreadable expiresIn')));
      } finally {
        await h.close();
      }
    });
  }

  it('treats a token within 5 minutes of expiry as expired and refreshes it', async () => {
    const clock = new ManualClock();
    const h = await startHarness({ accessTokenTtlSeconds: 3600 }, clock);
    try {
      h.seedToken();
      const manager = h.makeManager();
      await runScene(manager, SCENE_ID);
      clock.advance((3600 - 301) * 1000);
      assert.equal(manager.status().access_token_status, 'valid');
      await runScene(manager, SCENE_ID);
      assert.equal(h.sim.callCount(REFRESH), 1);
      clock.advance(2000);
      assert.equal(manager.status().access_token_status, 'expired');
      assert.equal(manager.status().access_token_expires_in_seconds, 299);
      await runScene(manager, SCENE_ID);
      assert.equal(h.sim.callCount(REFRESH), 2);
    } finally {
      await h.close();
    }
  });
});

describe('a database locked by another connection', () => {
  it('waits for the lock without blocking the event loop, then refreshes', async () => {
    const h = await startHarness();
    const Database = (await import('better-sqlite3')).default;
    const holder = new Database(h.dbPath);
    try {
      h.seedToken();
      const manager = h.makeManager();
      holder.exec('BEGIN IMMEDIATE');
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 50);
      // The lock can only be released if the event loop keeps running while the manager waits.
      setTimeout(() => holder.exec('COMMIT'), 1500);
      await runScene(manager, SCENE_ID);
      clearInterval(ticker);
      assert.ok(ticks >= 10, `the event loop kept running while the lock was held (${ticks} ticks)`);
      assert.equal(h.sim.sceneRuns.length, 1);
      assert.equal(h.sim.isRefreshTokenValid(h.store.read(CONFIG_ID)!.refreshToken), true);
    } finally {
      holder.close();
      await h.close();
    }
  });
});

describe('stopping while a refresh is in flight', () => {
  it('idle() resolves only after the rotated token is stored', async () => {
    const h = await startHarness();
    try {
      const sent = h.seedToken();
      h.sim.injectFault({ fault: { kind: 'delay', ms: 300 }, intent: REFRESH });
      const manager = h.makeManager();
      const run = runScene(manager, SCENE_ID);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await manager.idle();
      const stored = h.store.read(CONFIG_ID)!.refreshToken;
      assert.notEqual(stored, sent);
      assert.equal(h.sim.isRefreshTokenValid(stored), true);
      await run;
    } finally {
      await h.close();
    }
  });
});

describe('review fixes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ accessTokenTtlSeconds: 30 * 24 * 3600 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses to store a pasted token that cannot be one, keeping the stored token', async () => {
    const token = h.seedToken();
    const manager = h.makeManager();
    for (const bad of ['', '   ', 'two words', 'x'.repeat(4097)]) {
      assert.throws(() => manager.setRefreshToken(bad), /not stored: refresh_token/);
    }
    assert.equal(h.store.read(CONFIG_ID)?.refreshToken, token);
  });

  it('a token pasted while a refresh runs is not overruled by that refresh', async () => {
    h.seedToken();
    h.sim.injectFault({ fault: { kind: 'delay', ms: 200 }, intent: REFRESH });
    const manager = h.makeManager();
    const run = runScene(manager, SCENE_ID);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pasted = h.sim.issueRefreshToken();
    manager.setRefreshToken(pasted);
    await run;
    assert.equal(manager.status().access_token_status, 'not_cached', 'the old chain is not kept');
    await runScene(manager, SCENE_ID);
    assert.equal(h.sim.refreshTokenUseCount(pasted), 1, 'the next call uses the pasted token');
  });

  it('a refresh of a dead token failing after a good paste does not mark the new token dead', async () => {
    const dead = h.seedToken();
    h.sim.expireRefreshToken(dead);
    h.sim.injectFault({ fault: { kind: 'delay', ms: 200 }, intent: REFRESH });
    const manager = h.makeManager();
    const run = runScene(manager, SCENE_ID).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    manager.setRefreshToken(h.sim.issueRefreshToken());
    assert.ok((await run) instanceof Error);
    assert.equal(manager.state, 'ready');
    assert.equal(manager.status().last_error, null);
  });

  it('keep-alive keeps the valid access token when its refresh fails', async () => {
    const clock = new ManualClock();
    await h.close();
    h = await startHarness({ accessTokenTtlSeconds: 30 * 24 * 3600 }, clock);
    h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    clock.advance(8 * 24 * 3600 * 1000);
    h.sim.injectFault({ fault: { kind: 'dropAfterProcessing' }, intent: REFRESH });
    assert.equal(await manager.keepAliveTick(), 'failed');
    await runScene(manager, SCENE_ID);
    assert.equal(h.sim.sceneRuns.length, 2, 'the cached access token still ran the scene');
    assert.equal(h.sim.callCount(REFRESH), 2, 'no refresh after the failed keep-alive');
  });

  it('says the database cannot be read instead of "not configured"', async () => {
    h.seedToken();
    const manager = h.makeManager();
    h.store.close();
    const status = manager.status();
    assert.equal(status.state, 'error');
    assert.match(status.message ?? '', /cannot read/);
  });

  it('a token Aqara refused still shows as expired after a restart, until a new one is pasted', async () => {
    const token = h.seedToken();
    h.sim.expireRefreshToken(token);
    await rejection(runScene(h.makeManager(), SCENE_ID));
    const restarted = h.makeManager();
    assert.equal(restarted.state, 'expired');
    assert.ok(restarted.status().last_error?.includes(REFRESH_TOKEN_EXPIRED_MESSAGE));
    restarted.setRefreshToken(h.sim.issueRefreshToken());
    assert.equal(restarted.state, 'ready');
    assert.equal(restarted.status().last_error, null);
  });

  it('waits for a write lock held during the refresh instead of keeping the token only in memory', async () => {
    const Database = (await import('better-sqlite3')).default;
    const holder = new Database(h.dbPath);
    try {
      h.seedToken();
      h.sim.injectFault({ fault: { kind: 'delay', ms: 300 }, intent: REFRESH });
      const manager = h.makeManager();
      const run = runScene(manager, SCENE_ID);
      await new Promise((resolve) => setTimeout(resolve, 100));
      holder.exec('BEGIN IMMEDIATE');
      setTimeout(() => holder.exec('COMMIT'), 1000);
      await run;
      assert.equal(manager.hasUnsavedToken, false);
      assert.equal(h.sim.isRefreshTokenValid(h.store.read(CONFIG_ID)!.refreshToken), true);
      assert.ok(!h.logger.lines.some((line) => line.startsWith('error:')), h.logger.lines.join('\n'));
    } finally {
      holder.close();
    }
  });

  it('idle() writes a rotated token held in memory as soon as the database takes it', async () => {
    h.seedToken();
    h.sim.injectFault({ fault: { kind: 'delay', ms: 150 }, intent: REFRESH });
    const manager = h.makeManager();
    const run = runScene(manager, SCENE_ID);
    await new Promise((resolve) => setTimeout(resolve, 50));
    h.store.pragma('query_only = ON');
    await run;
    assert.equal(manager.hasUnsavedToken, true);
    h.store.pragma('query_only = OFF');
    await manager.idle(2000);
    assert.equal(manager.hasUnsavedToken, false);
    assert.equal(h.sim.isRefreshTokenValid(h.store.read(CONFIG_ID)!.refreshToken), true);
  });
});

/** The simulator's real answer, with the access token Aqara sent replaced: only Aqara's side is altered. */
function sendingAccessTokens(client: TokenClient, accessTokens: string[]): TokenClient {
  return {
    request: <T>(intent: string, data: unknown, token?: string) => client.request<T>(intent, data, token),
    async refreshToken(refreshToken) {
      const grant = await client.refreshToken(refreshToken);
      const replacement = accessTokens.shift();
      return replacement === undefined ? grant : { ...grant, accessToken: replacement };
    },
  };
}

describe('an access token that cannot be sent', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  for (const [what, bad] of [
    ['a space', 'two words'],
    ['a newline', 'line\nbreak'],
    ['a control character', 'nul\u0000x'],
    ['nothing', ''],
    ['an absurd length', 'x'.repeat(5000)],
  ] as const) {
    it(`is a failed refresh, not a cached token (${what}), and the rotated refresh token is kept`, async () => {
      const first = h.seedToken();
      const manager = h.makeManager({ client: sendingAccessTokens(h.makeClient(), [bad]) });
      await runScene(manager, SCENE_ID);
      assert.equal(h.sim.callCount(REFRESH), 2, 'the unusable answer counted as a failed refresh');
      assert.equal(h.sim.callCount(RUN), 1, 'no call was sent with the unusable token');
      const sent = h.sim.calls
        .filter((call) => call.intent === REFRESH)
        .map((call) => (call.data as { refreshToken: string }).refreshToken);
      assert.equal(sent[0], first);
      assert.notEqual(sent[1], first, 'the retry sent the token rotated by the unusable answer');
      assert.ok(h.sim.calls.every((call) => call.code === 0 || call.intent !== REFRESH));
      assert.equal(h.sim.isRefreshTokenValid(h.store.read(CONFIG_ID)!.refreshToken), true);
    });
  }

  it('says what is wrong when Aqara keeps sending one, and caches nothing', async () => {
    h.seedToken();
    const manager = h.makeManager({
      client: sendingAccessTokens(h.makeClient(), ['a b', 'a b', 'a b']),
    });
    const error = await rejection(runScene(manager, SCENE_ID));
    assert.match(error.message, /access token that cannot be used/);
    assert.equal(h.sim.callCount(RUN), 0);
    assert.equal(manager.status().access_token_status, 'not_cached');
    assert.equal(h.sim.isRefreshTokenValid(h.store.read(CONFIG_ID)!.refreshToken), true);
  });
});

describe('a refresh that sends a rotated token held in memory', () => {
  it('takes the lease like any other, so another manager waits instead of sending the same token', async () => {
    const h = await startHarness();
    const Database = (await import('better-sqlite3')).default;
    const holder = new Database(h.dbPath);
    const release = (): void => {
      if (holder.inTransaction) holder.exec('COMMIT');
    };
    try {
      h.seedToken();
      h.sim.injectFault({ fault: { kind: 'delay', ms: 150 }, intent: REFRESH });
      const real = h.makeClient();
      let inFlight: Promise<unknown> | undefined;
      const client: TokenClient = {
        request: <T>(intent: string, data: unknown, token?: string) => real.request<T>(intent, data, token),
        refreshToken(refreshToken) {
          const sending = real.refreshToken(refreshToken);
          if (!inFlight && a.hasUnsavedToken) {
            // While the held token is on its way: the database frees up, a call retries the write,
            // and another manager wants a token.
            release();
            inFlight = Promise.all([runScene(a, SCENE_ID), h.makeManager().getAccessToken()]);
          }
          return sending;
        },
      };
      const a = h.makeManager({ client });
      const first = runScene(a, SCENE_ID);
      await new Promise((resolve) => setTimeout(resolve, 60));
      h.store.pragma('query_only = ON');
      await first;
      h.store.pragma('query_only = OFF');
      assert.equal(a.hasUnsavedToken, true);

      // Another process holds the write lock, so the held token cannot be stored before the refresh.
      holder.exec('BEGIN IMMEDIATE');
      setTimeout(release, 300);
      h.sim.expireAccessTokens();
      h.sim.injectFault({ fault: { kind: 'delay', ms: 300 }, intent: REFRESH });
      await runScene(a, SCENE_ID);
      assert.ok(inFlight, 'the held token was sent');
      await inFlight;

      const refreshes = h.sim.calls.filter((call) => call.intent === REFRESH);
      const sent = refreshes.map((call) => (call.data as { refreshToken: string }).refreshToken);
      assert.equal(new Set(sent).size, sent.length, 'no refresh token was sent twice');
      assert.ok(
        refreshes.every((call) => call.code === 0),
        'Aqara never refused a refresh token',
      );
      assert.equal(h.sim.isRefreshTokenValid(h.store.read(CONFIG_ID)!.refreshToken), true);
    } finally {
      release();
      holder.close();
      await h.close();
    }
  });
});

describe('another process holding the write lock', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('a pasted token waits for a lock held 200 ms instead of failing', async () => {
    const Database = (await import('better-sqlite3')).default;
    const holder = new Database(h.dbPath);
    try {
      h.seedToken();
      const manager = h.makeManager();
      holder.exec('BEGIN IMMEDIATE');
      setTimeout(() => holder.exec('COMMIT'), 200);
      const pasted = h.sim.issueRefreshToken();
      await manager.pasteRefreshToken(pasted);
      assert.equal(h.store.read(CONFIG_ID)?.refreshToken, pasted);
      assert.equal(manager.state, 'ready');
    } finally {
      holder.close();
    }
  });

  it('a pasted token that still meets the lock fails as locked, naming no file', async () => {
    const Database = (await import('better-sqlite3')).default;
    const holder = new Database(h.dbPath);
    try {
      const stored = h.seedToken();
      const manager = h.makeManager();
      holder.exec('BEGIN IMMEDIATE');
      const error = await rejection(manager.pasteRefreshToken(h.sim.issueRefreshToken(), 300));
      holder.exec('COMMIT');
      assert.ok(error instanceof TokenStoreError && error.locked, String(error));
      assert.match(error.message, /another process is writing to it; try again in a few seconds/);
      assert.ok(!error.message.includes(h.dir));
      assert.equal(h.store.read(CONFIG_ID)?.refreshToken, stored);
    } finally {
      holder.close();
    }
  });

  it('opening an old-schema database while another process writes comes good by itself', async () => {
    const Database = (await import('better-sqlite3')).default;
    const path = join(h.dir, 'old', 'tokens.db');
    mkdirSync(join(h.dir, 'old'), { mode: 0o700 });
    const other = new Database(path);
    try {
      other.pragma('journal_mode = WAL');
      // The first release's table: no refused_at column yet.
      other.exec(`CREATE TABLE aqara_tokens (config_id TEXT PRIMARY KEY, refresh_token TEXT NOT NULL,
        updated_at TEXT NOT NULL, app_id TEXT NOT NULL, generation INTEGER NOT NULL DEFAULT 1,
        lease_owner TEXT, lease_until INTEGER)`);
      const token = h.sim.issueRefreshToken();
      other
        .prepare(
          'INSERT INTO aqara_tokens (config_id, refresh_token, updated_at, app_id) VALUES (?, ?, ?, ?)',
        )
        .run(CONFIG_ID, token, new Date().toISOString(), h.sim.apps[0].appId);
      other.exec('BEGIN IMMEDIATE');
      setTimeout(() => other.exec('COMMIT'), 200);

      const store = TokenStore.open(path);
      try {
        const manager = h.makeManager({ store });
        await until(() => manager.state === 'ready', 'the config is ready without a redeploy');
        await runScene(manager, SCENE_ID);
        assert.equal(h.sim.isRefreshTokenValid(store.read(CONFIG_ID)!.refreshToken), true);
        manager.close();
      } finally {
        store.close();
      }
    } finally {
      if (other.inTransaction) other.exec('COMMIT');
      other.close();
    }
  });
});
