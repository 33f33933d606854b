import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { AqaraClient, REFRESH_INTENT, type AqaraClientOptions } from '../../src/lib/aqara/client';
import { AqaraError, kindOfAqaraCode } from '../../src/lib/aqara/errors';
import { parseAqaraEnvelope } from '../../src/lib/aqara/response';
import { MAX_SOCKETS_PER_HOST } from '../../src/lib/aqara/transport';
import type { Logger } from '../../src/lib/logger';
import { AqaraSimulator, DEFAULT_POSITION_ID, DEFAULT_SCENES } from '../../simulator/server';

const SCENE_ID = DEFAULT_SCENES[0].sceneId;
const UNKNOWN_SCENE_ID = 'AL.999999999999999999';

// Every secret any test handed to the client or received from the simulator, and every error the
// client threw: the last test proves none of the former appears anywhere in the latter.
const secrets = new Set<string>();
const thrown: AqaraError[] = [];
const logLines: string[] = [];

const captureLogger: Logger = {
  debug: (line) => logLines.push(line),
  info: (line) => logLines.push(line),
  warn: (line) => logLines.push(line),
  error: (line) => logLines.push(line),
};

/** Awaits a call that must fail and returns its AqaraError, kept for the secrets check. */
async function failure(promise: Promise<unknown>): Promise<AqaraError> {
  try {
    await promise;
  } catch (error: unknown) {
    assert.ok(error instanceof AqaraError, `expected an AqaraError, got ${inspect(error)}`);
    thrown.push(error);
    return error;
  }
  assert.fail('expected the call to fail');
}

function failureSync(fn: () => unknown): AqaraError {
  try {
    fn();
  } catch (error: unknown) {
    assert.ok(error instanceof AqaraError, `expected an AqaraError, got ${inspect(error)}`);
    thrown.push(error);
    return error;
  }
  assert.fail('expected the call to throw');
}

describe('AqaraClient against the simulator', () => {
  let sim: AqaraSimulator;
  let baseUrl: string;
  const clients: AqaraClient[] = [];

  function makeClient(overrides: Partial<AqaraClientOptions> = {}): AqaraClient {
    const app = sim.apps[0];
    secrets.add(app.appKey);
    if (overrides.appKey !== undefined) secrets.add(overrides.appKey);
    const client = new AqaraClient({ baseUrl, ...app, logger: captureLogger, ...overrides });
    clients.push(client);
    return client;
  }

  function issueRefreshToken(): string {
    const token = sim.issueRefreshToken();
    secrets.add(token);
    return token;
  }

  async function accessToken(client: AqaraClient): Promise<string> {
    const grant = await client.refreshToken(issueRefreshToken());
    secrets.add(grant.accessToken);
    if (grant.refreshToken !== undefined) secrets.add(grant.refreshToken);
    return grant.accessToken;
  }

  before(async () => {
    sim = new AqaraSimulator();
    baseUrl = await sim.start();
  });

  afterEach(() => sim.clearFaults());

  after(async () => {
    for (const client of clients) client.close();
    await sim.stop();
  });

  describe('construction', () => {
    test('blank credentials are app_credentials errors naming the missing field', () => {
      const app = sim.apps[0];
      const cases: [Partial<AqaraClientOptions>, string][] = [
        [{ appKey: '' }, 'Aqara App Key is missing'],
        [{ appKey: '  ' }, 'Aqara App Key is missing'],
        [{ appId: '' }, 'Aqara App ID is missing'],
        [{ keyId: '\n' }, 'Aqara Key ID is missing'],
      ];
      for (const [override, message] of cases) {
        const error = failureSync(() => new AqaraClient({ baseUrl, ...app, ...override }));
        assert.equal(error.kind, 'app_credentials');
        assert.equal(error.message, message);
      }
      const missing = failureSync(
        () => new AqaraClient({ baseUrl, appId: app.appId, keyId: app.keyId } as never),
      );
      assert.equal(missing.message, 'Aqara App Key is missing');
    });

    test('a bad base URL, language or timeout is a caller error', () => {
      const app = sim.apps[0];
      for (const options of [
        { baseUrl: '' },
        { baseUrl: 'ftp://example.com' },
        { baseUrl: 'not a url' },
        { lang: 'fr' as never },
        { timeoutMs: 0 },
        { timeoutMs: Number.NaN },
      ]) {
        const error = failureSync(() => new AqaraClient({ baseUrl, ...app, ...options }));
        assert.equal(error.kind, 'caller', inspect(options));
      }
    });

    test('exposes appId and a normalised baseUrl; pasted whitespace around credentials is ignored', async () => {
      const app = sim.apps[0];
      const client = makeClient({
        baseUrl: `${baseUrl}/`,
        appId: ` ${app.appId}\n`,
        appKey: `${app.appKey}\n`,
      });
      assert.equal(client.appId, app.appId);
      assert.equal(client.baseUrl, baseUrl);
      // Only an exactly right app key produces a signature the simulator accepts.
      await accessToken(client);
    });
  });

  describe('success', () => {
    test('refreshToken returns the grant and Aqara rotates the refresh token', async () => {
      const client = makeClient();
      const old = issueRefreshToken();
      const grant = await client.refreshToken(old);
      secrets.add(grant.accessToken);
      assert.match(grant.accessToken, /^\S+$/);
      assert.ok(grant.refreshToken !== undefined && grant.refreshToken !== old);
      secrets.add(grant.refreshToken);
      assert.equal(typeof grant.openId, 'string');
      assert.equal(grant.expiresIn, String(7 * 24 * 3600));
      assert.equal(sim.refreshTokenUseCount(old), 1);
      assert.equal(sim.isRefreshTokenValid(old), false);
      assert.equal(sim.isRefreshTokenValid(grant.refreshToken), true);
      // No Accesstoken header on the auth intent.
      const call = sim.calls.at(-1);
      assert.equal(call?.intent, REFRESH_INTENT);
      assert.equal(call?.accessToken, undefined);
      assert.equal(call?.code, 0);
    });

    test('a signed request with an access token is accepted (code 0)', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      const response = await client.request<{ data: { sceneId: string }[]; totalCount: number }>(
        'query.scene.listByPositionId',
        { positionId: DEFAULT_POSITION_ID, pageNum: 1, pageSize: 30 },
        token,
      );
      assert.equal(response.code, 0);
      assert.equal(response.message, 'Success');
      assert.ok(response.requestId.length > 0);
      assert.equal(response.detail, undefined);
      assert.deepEqual(
        response.result.data.map((scene) => scene.sceneId),
        DEFAULT_SCENES.map((scene) => scene.sceneId),
      );
      assert.equal(sim.calls.at(-1)?.accessToken, token);
    });

    test('every request gets a fresh nonce (the simulator refuses a replayed one)', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => client.request('query.scene.detail', { sceneId: SCENE_ID }, token)),
      );
      assert.ok(answers.every((answer) => answer.code === 0));
    });

    test('config.scene.run runs the scene', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      const before = sim.sceneRuns.length;
      const response = await client.request('config.scene.run', { sceneId: SCENE_ID }, token);
      assert.equal(response.code, 0);
      assert.equal(sim.sceneRuns.length, before + 1);
      assert.equal(sim.sceneRuns.at(-1)?.sceneId, SCENE_ID);
    });

    test('a delayed answer within the timeout is still read', async () => {
      const client = makeClient({ timeoutMs: 2000 });
      const token = await accessToken(client);
      sim.injectFault({ fault: { kind: 'delay', ms: 150 }, intent: 'query.scene.detail' });
      const response = await client.request('query.scene.detail', { sceneId: SCENE_ID }, token);
      assert.equal(response.code, 0);
    });
  });

  describe('Aqara error codes', () => {
    test('wrong app key -> 106 app_credentials, on refresh and on other intents', async () => {
      const good = makeClient();
      const token = await accessToken(good);
      const client = makeClient({ appKey: 'wrong-app-key-value' });
      const refresh = await failure(client.refreshToken(issueRefreshToken()));
      assert.equal(refresh.kind, 'app_credentials');
      assert.equal(refresh.code, 106);
      assert.equal(refresh.intent, REFRESH_INTENT);
      assert.equal(refresh.message, 'Aqara error 106 (invalid sign) on config.auth.refreshToken');
      assert.ok(refresh.requestId !== undefined && refresh.requestId.length > 0);
      assert.equal(refresh.httpStatus, undefined, 'HTTP 200 answers leave httpStatus unset');
      assert.equal(refresh.answerLost, false);

      const run = await failure(client.request('config.scene.run', { sceneId: SCENE_ID }, token));
      assert.equal(run.kind, 'app_credentials');
      assert.equal(run.code, 106);
    });

    test("a machine clock far from Aqara's -> 105 rejected (Time comes from the injected clock)", async () => {
      const client = makeClient({ now: () => Date.now() - 10 * 60 * 1000 });
      const error = await failure(client.refreshToken(issueRefreshToken()));
      assert.equal(error.kind, 'rejected');
      assert.equal(error.code, 105);
      assert.match(error.message, /^Aqara error 105 \(request time is invalid/);
    });

    test('unknown app id -> 2002 app_credentials', async () => {
      const client = makeClient({ appId: 'not-the-app' });
      const error = await failure(client.refreshToken(issueRefreshToken()));
      assert.equal(error.kind, 'app_credentials');
      assert.equal(error.code, 2002);
    });

    test('unknown scene -> 1202 caller', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      const error = await failure(client.request('config.scene.run', { sceneId: UNKNOWN_SCENE_ID }, token));
      assert.equal(error.kind, 'caller');
      assert.equal(error.code, 1202);
      assert.equal(error.intent, 'config.scene.run');
      assert.equal(error.message, 'Aqara error 1202 (scene does not exist) on config.scene.run');
    });

    test('expired or absent access token -> 108 access_token', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      sim.expireAccessTokens();
      const expired = await failure(client.request('config.scene.run', { sceneId: SCENE_ID }, token));
      assert.equal(expired.kind, 'access_token');
      assert.equal(expired.code, 108);
      // Aqara echoes the refused token in the detail, as real 108 answers do: masked.
      assert.match(
        expired.message,
        /^Aqara error 108 \(token has expired\) on config\.scene\.run: Parameter AccessToken illegal, accessToken:\*\*\*$/,
      );

      const absent = await failure(client.request('config.scene.run', { sceneId: SCENE_ID }));
      assert.equal(absent.kind, 'access_token');
      assert.equal(absent.code, 109);
      assert.equal(sim.calls.at(-1)?.accessToken, undefined);
    });

    test('a rotated (dead) refresh token -> 2006 refresh_token', async () => {
      const client = makeClient();
      const old = issueRefreshToken();
      const grant = await client.refreshToken(old);
      secrets.add(grant.accessToken);
      if (grant.refreshToken !== undefined) secrets.add(grant.refreshToken);
      const error = await failure(client.refreshToken(old));
      assert.equal(error.kind, 'refresh_token');
      assert.equal(error.code, 2006);
    });

    test('Aqara error on a non-200 status keeps code and HTTP status', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      sim.injectFault({ fault: { kind: 'code', code: 302, httpStatus: 400 }, intent: 'query.scene.detail' });
      const error = await failure(client.request('query.scene.detail', { sceneId: SCENE_ID }, token));
      assert.equal(error.kind, 'caller');
      assert.equal(error.code, 302);
      assert.equal(error.httpStatus, 400);
    });

    test("Aqara's own message is used, flattened to one line", async () => {
      const client = makeClient();
      const token = await accessToken(client);
      sim.injectFault({
        fault: { kind: 'code', code: 602, message: 'device offline\nsecond line' },
        intent: 'config.scene.run',
      });
      const error = await failure(client.request('config.scene.run', { sceneId: SCENE_ID }, token));
      assert.equal(error.kind, 'rejected');
      assert.equal(error.message, 'Aqara error 602 (device offline second line) on config.scene.run');
    });

    test('tokens and the app key echoed by Aqara are masked', async () => {
      const app = sim.apps[0];
      const client = makeClient();
      const refreshToken = issueRefreshToken();
      sim.injectFault({
        fault: {
          kind: 'code',
          code: 2006,
          message: `refresh token ${refreshToken} illegal for key ${app.appKey.toUpperCase()}`,
        },
        intent: REFRESH_INTENT,
      });
      const refresh = await failure(client.refreshToken(refreshToken));
      assert.equal(refresh.kind, 'refresh_token');
      assert.equal(
        refresh.message,
        'Aqara error 2006 (refresh token *** illegal for key ***) on config.auth.refreshToken',
      );

      const token = await accessToken(client);
      sim.injectFault({
        fault: { kind: 'code', code: 108, message: `Parameter AccessToken ${token} illegal` },
        intent: 'config.scene.run',
      });
      const run = await failure(client.request('config.scene.run', { sceneId: SCENE_ID }, token));
      assert.equal(run.message, 'Aqara error 108 (Parameter AccessToken *** illegal) on config.scene.run');
    });

    test('a code-0 refresh answer without an access token is malformed and may have lost the new token', async () => {
      // The simulator always sends a proper grant; the envelope parser sees what a broken one looks like.
      const client = makeClient();
      sim.injectFault({ fault: { kind: 'code', code: 0, message: 'Success' }, intent: REFRESH_INTENT });
      const error = await failure(client.refreshToken(issueRefreshToken()));
      assert.equal(error.kind, 'transient');
      assert.equal(error.answerLost, true);
      assert.match(error.message, /malformed/);
    });

    test('804 (token failed) is a dead access token; 501 is transient; 612 is transient only for a read', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      const cases: [number, string, string][] = [
        [804, 'config.scene.run', 'access_token'],
        [501, 'config.scene.run', 'transient'],
        [612, 'query.resource.value', 'transient'],
        [612, 'write.resource.device', 'rejected'],
        [612, 'config.scene.run', 'rejected'],
      ];
      for (const [code, intent, kind] of cases) {
        sim.injectFault({ fault: { kind: 'code', code }, intent });
        const error = await failure(client.request(intent, {}, token));
        assert.equal(error.code, code);
        assert.equal(error.kind, kind, `${code} on ${intent}`);
      }
    });

    test('a token Aqara echoes in its detail is masked, known to us or not', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      sim.injectFault({
        fault: {
          kind: 'code',
          code: 108,
          message: `Parameter AccessToken illegal, accessToken:${token}, refreshToken=someone-elses-token`,
        },
        intent: 'config.scene.run',
      });
      const error = await failure(client.request('config.scene.run', { sceneId: SCENE_ID }, token));
      assert.equal(
        error.message,
        'Aqara error 108 (Parameter AccessToken illegal, accessToken:***, refreshToken=***) on config.scene.run',
      );
      secrets.add('someone-elses-token');
    });
  });

  describe('HTTP and network failures', () => {
    test('HTTP 500 with an HTML page -> transient, with the status', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      sim.injectFault({ fault: { kind: 'http500' }, intent: 'config.scene.run' });
      const error = await failure(client.request('config.scene.run', { sceneId: SCENE_ID }, token));
      assert.equal(error.kind, 'transient');
      assert.equal(error.httpStatus, 500);
      assert.equal(error.code, undefined);
      assert.equal(error.message, 'Aqara answered HTTP 500 on config.scene.run');
    });

    test('HTTP 500 with an Aqara envelope -> transient, code 500', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      sim.injectFault({ fault: { kind: 'http500', body: 'json' }, intent: 'config.scene.run' });
      const error = await failure(client.request('config.scene.run', { sceneId: SCENE_ID }, token));
      assert.equal(error.kind, 'transient');
      assert.equal(error.code, 500);
      assert.equal(error.httpStatus, 500);
    });

    test('HTTP 5xx without an envelope on a refresh may have rotated the token -> answer lost', async () => {
      const client = makeClient();
      for (const fault of [{ kind: 'http500' as const }, { kind: 'httpStatus' as const, status: 503 }]) {
        sim.injectFault({ fault, intent: REFRESH_INTENT });
        const error = await failure(client.refreshToken(issueRefreshToken()));
        assert.equal(error.kind, 'transient');
        assert.equal(error.answerLost, true, inspect(fault));
        assert.equal(error.code, undefined);
      }
      // With Aqara's envelope the answer was read: code 500 is an ordinary transient failure.
      sim.injectFault({ fault: { kind: 'http500', body: 'json' }, intent: REFRESH_INTENT });
      const read = await failure(client.refreshToken(issueRefreshToken()));
      assert.equal(read.code, 500);
      assert.equal(read.answerLost, false);
    });

    test('a non-Aqara 404 -> rejected', async () => {
      // A base URL with an extra path: the simulator answers 404 text, like a wrong custom URL would.
      const client = makeClient({ baseUrl: `${baseUrl}/wrong-prefix` });
      const error = await failure(client.refreshToken(issueRefreshToken()));
      assert.equal(error.kind, 'rejected');
      assert.equal(error.httpStatus, 404);
      assert.equal(error.answerLost, false);
    });

    test('connection dropped before processing -> transient, answer lost', async () => {
      const client = makeClient();
      const token = await accessToken(client);
      const runs = sim.sceneRuns.length;
      sim.injectFault({ fault: { kind: 'drop' }, intent: 'config.scene.run' });
      const error = await failure(client.request('config.scene.run', { sceneId: SCENE_ID }, token));
      assert.equal(error.kind, 'transient');
      assert.equal(error.answerLost, true);
      assert.equal(error.intent, 'config.scene.run');
      assert.match(
        error.message,
        /^connection to Aqara at 127\.0\.0\.1:\d+ lost on config\.scene\.run \(\w+\)$/,
      );
      assert.equal(sim.sceneRuns.length, runs);
      // The pooled agent recovers: the next call works.
      assert.equal((await client.request('config.scene.run', { sceneId: SCENE_ID }, token)).code, 0);
    });

    test('refresh processed but its answer dropped -> answerLost, and the old token is indeed gone', async () => {
      const client = makeClient();
      const old = issueRefreshToken();
      sim.injectFault({ fault: { kind: 'dropAfterProcessing' }, intent: REFRESH_INTENT });
      const error = await failure(client.refreshToken(old));
      assert.equal(error.kind, 'transient');
      assert.equal(error.answerLost, true);
      assert.equal(error.intent, REFRESH_INTENT);
      assert.equal(sim.isRefreshTokenValid(old), false);
      for (const token of sim.currentRefreshTokens()) secrets.add(token);
    });

    test('no answer -> transient after timeoutMs, answer lost, timeout named', async () => {
      const client = makeClient({ timeoutMs: 300 });
      sim.injectFault({ fault: { kind: 'hang' }, intent: REFRESH_INTENT });
      const started = Date.now();
      const error = await failure(client.refreshToken(issueRefreshToken()));
      const took = Date.now() - started;
      assert.equal(error.kind, 'transient');
      assert.equal(error.answerLost, true);
      assert.equal(error.message, 'no answer from Aqara within 300 ms on config.auth.refreshToken');
      assert.ok(took >= 250 && took < 2000, `took ${took} ms`);
    });

    test('connection refused -> transient, answer not lost', async () => {
      const closed = new AqaraSimulator();
      await closed.start();
      await closed.stop();
      const client = makeClient({ baseUrl: closed.baseUrl });
      const error = await failure(client.refreshToken(issueRefreshToken()));
      assert.equal(error.kind, 'transient');
      assert.equal(error.answerLost, false);
      assert.match(error.message, /^cannot reach Aqara at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    });

    test('a closed client refuses new requests', async () => {
      const client = makeClient();
      client.close();
      const error = await failure(client.refreshToken(issueRefreshToken()));
      assert.equal(error.kind, 'caller');
      assert.match(error.message, /closed/);
    });

    test('blank refresh token and data that is not JSON are caller errors, nothing is sent', async () => {
      const client = makeClient();
      const calls = sim.callCount();
      assert.equal((await failure(client.refreshToken(''))).kind, 'caller');
      assert.equal((await failure(client.refreshToken(' \t'))).kind, 'caller');
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      assert.equal((await failure(client.request('config.scene.run', circular, 'tok'))).kind, 'caller');
      assert.equal((await failure(client.request('config.scene.run', {}, 'bad token'))).kind, 'caller');
      assert.equal(sim.callCount(), calls);
    });
  });

  describe('connection pool', () => {
    test(`a burst of 300 calls opens at most ${MAX_SOCKETS_PER_HOST} connections and every call succeeds`, async () => {
      const client = makeClient();
      const token = await accessToken(client);
      let opened = 0;
      const count = (): void => {
        opened += 1;
      };
      dc.subscribe('net.client.socket', count);
      try {
        const answers = await Promise.all(
          Array.from({ length: 300 }, () =>
            client.request('query.scene.detail', { sceneId: SCENE_ID }, token),
          ),
        );
        assert.ok(answers.every((answer) => answer.code === 0));
      } finally {
        dc.unsubscribe('net.client.socket', count);
      }
      assert.ok(opened > 1 && opened <= MAX_SOCKETS_PER_HOST, `${opened} connections opened`);
    });
  });

  describe('no secret leaks', () => {
    test('debug log lines carry intent, code, duration and request id only', () => {
      assert.ok(logLines.length > 0);
      assert.ok(
        logLines.some((line) => /^aqara config\.scene\.run code=0 \d+ ms requestId=[\w.]+$/.test(line)),
      );
      assert.ok(
        logLines.some((line) => /^aqara config\.scene\.run failed kind=caller code=1202 \d+ ms/.test(line)),
      );
      for (const line of logLines) {
        assert.doesNotMatch(line, /Sign|Accesstoken|Nonce/i);
        for (const secret of secrets) assert.ok(!line.includes(secret), `log line leaks a secret: ${line}`);
      }
    });

    test('no thrown error shows a secret in message, stack, JSON or inspect', () => {
      assert.ok(thrown.length >= 25, `only ${thrown.length} errors collected`);
      assert.ok(secrets.size >= 10);
      for (const error of thrown) {
        assert.equal(error.cause, undefined, 'no raw (axios) error is attached');
        const views = [error.message, error.stack ?? '', JSON.stringify(error), inspect(error, { depth: 5 })];
        for (const view of views) {
          for (const secret of secrets) {
            assert.ok(
              !view.toLowerCase().includes(secret.toLowerCase()),
              `error leaks a secret: ${error.message}`,
            );
          }
        }
      }
    });
  });
});

describe('parseAqaraEnvelope', () => {
  test('detail comes from msgDetails or messageDetail', () => {
    const a = parseAqaraEnvelope(
      '{"code":302,"requestId":"r1","message":"params error","msgDetails":"sceneId"}',
    );
    assert.equal(a?.detail, 'sceneId');
    const b = parseAqaraEnvelope(
      '{"code":302,"requestId":"r1","message":"params error","messageDetail":"pageSize"}',
    );
    assert.equal(b?.detail, 'pageSize');
    const none = parseAqaraEnvelope(
      '{"code":0,"requestId":"r","message":"Success","msgDetails":null,"result":""}',
    );
    assert.equal(none?.detail, undefined);
    assert.equal(none?.result, '');
    const object = parseAqaraEnvelope('{"code":302,"message":"x","messageDetail":{"field":"sceneId"}}');
    assert.equal(object?.detail, '{"field":"sceneId"}');
  });

  test('a rendered null in msgDetails is no detail, and messageDetail is taken then', () => {
    for (const empty of ['null', '"null"', '"None"', '""', '" "']) {
      const only = parseAqaraEnvelope(`{"code":302,"message":"params error","msgDetails":${empty}}`);
      assert.equal(only?.detail, undefined, empty);
      const other = parseAqaraEnvelope(
        `{"code":302,"message":"params error","msgDetails":${empty},"messageDetail":"pageSize"}`,
      );
      assert.equal(other?.detail, 'pageSize', empty);
    }
  });

  test('text from the answer reaches no log raw: control characters flattened, length bounded, secrets masked', () => {
    const envelope = parseAqaraEnvelope(
      JSON.stringify({
        code: 108,
        requestId: 'r1\naqara config.scene.run code=0 forged\u2028line',
        message: `bad\r\n\u0007token ${'x'.repeat(400)}`,
        msgDetails: `Parameter AccessToken illegal, accessToken:SECRETTOKEN\u001b[31m`,
      }),
      ['secrettoken'],
    );
    assert.ok(envelope !== undefined);
    assert.equal(envelope.requestId, 'r1 aqara config.scene.run code=0 forged line');
    assert.ok(
      Array.from(envelope.message).every((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f),
      envelope.message,
    );
    assert.equal(envelope.message.length, 301);
    assert.ok(envelope.message.endsWith('…'));
    assert.equal(envelope.detail, 'Parameter AccessToken illegal, accessToken:***');
    const longId = parseAqaraEnvelope(JSON.stringify({ code: 0, requestId: 'i'.repeat(5000) }));
    assert.equal(longId?.requestId.length, 101);
  });

  test('a secret cut by the length bound is masked before the cut', () => {
    const secret = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const envelope = parseAqaraEnvelope(
      JSON.stringify({ code: 2006, message: `${'m'.repeat(290)}${secret}` }),
      [secret],
    );
    assert.ok(envelope !== undefined);
    assert.ok(!envelope.message.includes(secret.slice(0, 10)), envelope.message);
  });

  test('tolerates a numeric-string code and missing text fields', () => {
    assert.deepEqual(parseAqaraEnvelope('{"code":"108"}'), {
      code: 108,
      requestId: '',
      message: '',
      result: undefined,
    });
  });

  test('anything that is not an envelope is undefined', () => {
    for (const body of [
      '',
      '<html>',
      'null',
      '[]',
      '"x"',
      '{"message":"no code"}',
      '{"code":"abc"}',
      '{"code":1.5}',
    ]) {
      assert.equal(parseAqaraEnvelope(body), undefined, body);
    }
  });
});

test('kindOfAqaraCode: 804 like 108, 501 transient, 612 by intent', () => {
  for (const code of [108, 109, 804, 2004, 2005])
    assert.equal(kindOfAqaraCode(code), 'access_token', String(code));
  assert.equal(kindOfAqaraCode(501), 'transient');
  assert.equal(kindOfAqaraCode(612, 'query.device.info'), 'transient');
  assert.equal(kindOfAqaraCode(612, 'write.ir.click'), 'rejected');
  assert.equal(kindOfAqaraCode(612), 'rejected');
});

/**
 * Answers no Aqara server sends but something on the path might: each test sets what the next
 * request gets. The simulator stays polite; this server is for the client's limits.
 */
describe('AqaraClient against answers the simulator never sends', () => {
  let reply: (res: http.ServerResponse) => void = (res) => res.end();
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits += 1;
    req.resume();
    req.on('end', () => reply(res));
  });
  let baseUrl = '';
  const lines: string[] = [];
  const logger: Logger = {
    debug: (line) => lines.push(line),
    info: (line) => lines.push(line),
    warn: (line) => lines.push(line),
    error: (line) => lines.push(line),
  };
  const client = (): AqaraClient =>
    new AqaraClient({ baseUrl, appId: 'app', keyId: 'key', appKey: 'app-key-secret', logger });

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('an answer over 10 MB is refused as unreadable (answer lost), not buffered', async () => {
    reply = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const more = (): void => {
        while (sent < 12 && res.write(chunk)) sent += 1;
        if (sent < 12) res.once('drain', more);
        else res.end('{}');
      };
      more();
    };
    const aqara = client();
    try {
      const error = await failure(aqara.refreshToken('rt-over-size'));
      assert.equal(error.message, `Aqara sent an unreadable answer on ${REFRESH_INTENT}`);
      assert.equal(error.answerLost, true);
    } finally {
      aqara.close();
    }
  });

  test('a redirect is not followed: the access token goes nowhere else', async () => {
    const before = hits;
    reply = (res) => {
      res.writeHead(302, { Location: `${baseUrl}/elsewhere` });
      res.end();
    };
    const aqara = client();
    try {
      const error = await failure(aqara.request('config.scene.run', { sceneId: SCENE_ID }, 'access-token-x'));
      assert.equal(error.httpStatus, 302);
      assert.equal(error.kind, 'rejected');
      assert.equal(hits - before, 1, 'one request, no second one to the Location');
    } finally {
      aqara.close();
    }
  });

  test('a request id carrying a newline cannot forge a log line', async () => {
    reply = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          code: 0,
          requestId: 'abc\naqara config.auth.refreshToken code=0 1 ms requestId=forged',
          message: 'Success',
          msgDetails: 'None',
          result: { accessToken: 'at-1', refreshToken: 'rt-2', openId: 'open\r\nid', expiresIn: '60' },
        }),
      );
    };
    lines.length = 0;
    const aqara = client();
    try {
      const grant = await aqara.refreshToken('rt-1');
      assert.equal(grant.openId, 'open  id');
      assert.equal(lines.length, 1);
      assert.doesNotMatch(lines[0], /[\r\n]/);
      assert.match(lines[0], /requestId=abc aqara config\.auth\.refreshToken code=0 1 ms requestId=forged$/);
    } finally {
      aqara.close();
    }
  });
});
