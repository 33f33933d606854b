import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN_ROUTES, registerRoutes } from '../../src/runtime/routes';
import type { NodeAPI } from '../../src/runtime/node-red-api';
import { TokenStore } from '../../src/lib/tokens/store';
import {
  APP,
  configNode,
  credentials,
  type Harness,
  harnessPerTest,
  helper,
  nextMessage,
  node,
  NODES,
  onTab,
  postToken,
  sceneFlow,
  TAB,
  setFlows,
} from './support';

const INVALID = { error: 'Invalid request body', code: 'INVALID_REQUEST' };
const NOT_CONFIGURED_MESSAGE = 'No refresh token configured. Use POST /aqara/refresh-token to add one.';

function twoConfigs(h: Harness) {
  return [TAB, configNode(h), configNode(h, { id: 'cfg2', name: 'office' })];
}

describe('admin route POST /aqara/refresh-token', () => {
  const h = harnessPerTest();

  it('stores the token for the only deployed config and answers 200 without echoing it', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const token = h.sim.issueRefreshToken();
    const before = Date.now();
    const response = await postToken({ refresh_token: token });
    assert.equal(response.status, 200);
    const body = response.body as { message: string; updated_at: string };
    assert.deepEqual(Object.keys(body).sort(), ['message', 'updated_at']);
    assert.equal(body.message, 'Refresh token updated successfully');
    assert.match(body.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(Date.parse(body.updated_at) >= before - 1000);
    assert.ok(!response.text.includes(token));
    assert.match(response.headers['content-type'], /application\/json/);
    assert.equal(response.headers['cache-control'], 'no-store');

    const stored = TokenStore.open(h.dbPath).read('cfg');
    assert.equal(stored?.refreshToken, token);
    assert.equal(stored?.appId, APP.appId);
  });

  it('trims a pasted newline around the token', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const token = h.sim.issueRefreshToken();
    const response = await postToken({ refresh_token: `  ${token}\n` });
    assert.equal(response.status, 200);
    assert.equal(TokenStore.open(h.dbPath).read('cfg')?.refreshToken, token);
  });

  it('rejects a missing or bad refresh_token with INVALID_REQUEST and says which', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const cases: Array<[unknown, string]> = [
      [{}, 'refresh_token is required'],
      [{ refresh_token: null }, 'refresh_token is required'],
      [{ refresh_token: '' }, 'refresh_token must not be empty'],
      [{ refresh_token: '   ' }, 'refresh_token must not be empty'],
      [{ refresh_token: 42 }, 'refresh_token must be a string'],
      [{ refresh_token: ['a'] }, 'refresh_token must be a string'],
      [{ refresh_token: { a: 1 } }, 'refresh_token must be a string'],
      [{ refresh_token: 'abc def' }, 'refresh_token must not contain whitespace'],
      [{ refresh_token: 'abc\tdef' }, 'refresh_token must not contain whitespace'],
      [{ refresh_token: 'x'.repeat(4097) }, 'refresh_token must not be longer than 4096 characters'],
      [{ refresh_token: 'tökén' }, 'refresh_token must contain only printable ASCII characters'],
      [{ token: 'abc' }, 'refresh_token is required'],
      [[{ refresh_token: 'abc' }], 'request body must be a JSON object'],
      [{ refresh_token: 'abc', config: 7 }, 'config must be a single string: the id of an aqara-config node'],
    ];
    for (const [body, details] of cases) {
      const response = await postToken(body);
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 60));
      assert.deepEqual(response.body, { ...INVALID, details }, JSON.stringify(body).slice(0, 60));
    }
    assert.equal(TokenStore.open(h.dbPath).read('cfg'), undefined, 'nothing was stored');
  });

  it('accepts exactly 4096 characters', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const response = await postToken({ refresh_token: 'a'.repeat(4096) });
    assert.equal(response.status, 200);
  });

  it('bodies that are not objects, or carry __proto__ / constructor keys, get a 4xx JSON answer', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const raw = [
      'null',
      '"a-token-as-a-string"',
      '42',
      'true',
      '[]',
      '{"__proto__": {"refresh_token": "inherited"}}',
      '{"constructor": {"prototype": {"refresh_token": "x"}}}',
      '{"__proto__": null, "refresh_token": 5}',
    ];
    for (const body of raw) {
      const response = await postToken(body);
      assert.ok(response.status >= 400 && response.status < 500, `${body} -> ${response.status}`);
      assert.equal((response.body as { code?: string }).code, 'INVALID_REQUEST', body);
      assert.ok(!response.text.includes('a-token-as-a-string'), 'the body is not echoed');
    }
    assert.equal(({} as Record<string, unknown>).refresh_token, undefined, 'Object.prototype untouched');
  });

  it('malformed JSON is a 400 JSON answer that does not quote the body', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    for (const body of [
      '{"refresh_token": "secret-token-value',
      '{refresh_token: secret-token-value}',
      '{"a":1}}',
    ]) {
      const response = await postToken(body);
      assert.equal(response.status, 400, body);
      assert.match(response.headers['content-type'], /application\/json/);
      assert.deepEqual(response.body, { ...INVALID, details: 'request body is not valid JSON' });
      assert.ok(!response.text.includes('secret-token-value'));
    }
  });

  it('answers 415 unless the body is application/json', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const token = h.sim.issueRefreshToken();
    const unsupported = {
      error: 'Unsupported Media Type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      details: 'Content-Type must be application/json',
    };
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      const response = await postToken(`refresh_token=${token}`, type);
      assert.equal(response.status, 415, type);
      assert.deepEqual(response.body, unsupported);
    }
    const bare = await helper.request().post('/aqara/refresh-token').send(`refresh_token=${token}`);
    assert.equal(bare.status, 415, 'no Content-Type at all');
    const charset = await postToken({ refresh_token: token }, 'application/json; charset=utf-8');
    assert.equal(charset.status, 200, 'parameters on the media type are fine');
  });

  it('with several configs deployed, config is required and picks the one', async () => {
    await helper.load(NODES, twoConfigs(h), { ...credentials(), ...credentials(APP.appKey, 'cfg2') });
    const token = h.sim.issueRefreshToken();
    const required = await postToken({ refresh_token: token });
    assert.equal(required.status, 400);
    const body = required.body as { error: string; code: string; details: string };
    assert.equal(body.code, 'CONFIG_REQUIRED');
    assert.equal(typeof body.error, 'string');
    assert.match(body.details, /cfg \(home\)/);
    assert.match(body.details, /cfg2 \(office\)/);

    const picked = await postToken({ refresh_token: token, config: 'cfg2' });
    assert.equal(picked.status, 200);
    assert.equal(TokenStore.open(h.dbPath).read('cfg2')?.refreshToken, token);
    assert.equal(TokenStore.open(h.dbPath).read('cfg'), undefined);

    const viaQuery = await helper
      .request()
      .post('/aqara/refresh-token?config=cfg')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ refresh_token: token }));
    assert.equal(viaQuery.status, 200, 'config may come in the query');
    assert.equal(TokenStore.open(h.dbPath).read('cfg')?.refreshToken, token);
  });

  it('an id that names no deployed aqara-config is CONFIG_NOT_FOUND', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    for (const config of ['nope', 'scene', 'out']) {
      const response = await postToken({ refresh_token: 'abc', config });
      assert.equal(response.status, 404, config);
      assert.equal((response.body as { code: string }).code, 'CONFIG_NOT_FOUND');
    }
  });

  it('with no config deployed at all the answer is CONFIG_NOT_FOUND', async () => {
    await helper.load(NODES, [TAB, onTab({ id: 'out', type: 'helper' })]);
    const response = await postToken({ refresh_token: 'abc' });
    assert.equal(response.status, 404);
    assert.equal((response.body as { code: string }).code, 'CONFIG_NOT_FOUND');
  });

  it('a removed config no longer counts', async () => {
    await helper.load(NODES, twoConfigs(h), { ...credentials(), ...credentials(APP.appKey, 'cfg2') });
    await setFlows([TAB, configNode(h)], 'full', credentials());
    const gone = await postToken({ refresh_token: 'abc', config: 'cfg2' });
    assert.equal(gone.status, 404);
    const only = await postToken({ refresh_token: h.sim.issueRefreshToken() });
    assert.equal(only.status, 200, 'the remaining config is the only one');
  });

  it('a config that cannot be used (no App Key) answers 409 CONFIG_INVALID', async () => {
    await helper.load(NODES, sceneFlow(h), credentials(''));
    const response = await postToken({ refresh_token: 'abc' });
    assert.equal(response.status, 409);
    const body = response.body as { code: string; details: string };
    assert.equal(body.code, 'CONFIG_INVALID');
    assert.match(body.details, /has no App Key/);
  });

  it('storing a token drops the cached access token: the next run refreshes', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    assert.equal((await postToken({ refresh_token: h.sim.issueRefreshToken() })).status, 200);
    const run = async () => {
      const out = nextMessage('out');
      node('scene').receive({});
      await out;
    };
    await run();
    await run();
    assert.equal(h.sim.callCount('config.auth.refreshToken'), 1);
    assert.equal((await postToken({ refresh_token: h.sim.issueRefreshToken() })).status, 200);
    await run();
    assert.equal(h.sim.callCount('config.auth.refreshToken'), 2);
  });
});

describe('admin route GET /aqara/token-status', () => {
  const h = harnessPerTest();

  it('not configured: configured false and the message', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const response = await helper.request().get('/aqara/token-status?config=cfg');
    assert.equal(response.status, 200);
    const body = response.body as Record<string, unknown>;
    assert.equal(body.configured, false);
    assert.equal(body.message, NOT_CONFIGURED_MESSAGE);
    assert.equal(body.state, 'no_token');
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('configured: updated_at, then a valid access token with its remaining seconds', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const token = h.sim.issueRefreshToken();
    const posted = (await postToken({ refresh_token: token })).body as { updated_at: string };

    let response = await helper.request().get('/aqara/token-status').query({ config: 'cfg' });
    let body = response.body as Record<string, unknown>;
    assert.equal(body.configured, true);
    assert.equal(body.refresh_token_updated_at, posted.updated_at);
    assert.equal(body.access_token_status, 'not_cached');
    assert.equal(body.access_token_expires_in_seconds, null);

    const out = nextMessage('out');
    node('scene').receive({});
    await out;
    response = await helper.request().get('/aqara/token-status');
    body = response.body as Record<string, unknown>;
    assert.equal(body.access_token_status, 'valid');
    const seconds = body.access_token_expires_in_seconds as number;
    assert.ok(seconds > 7 * 24 * 3600 - 60 && seconds <= 7 * 24 * 3600, String(seconds));
    assert.equal(body.state, 'ready');
    for (const secret of [token, ...h.sim.currentRefreshTokens(), APP.appKey]) {
      assert.ok(!response.text.includes(secret));
    }
  });

  it('CONFIG_REQUIRED, CONFIG_NOT_FOUND and a config that is not one string', async () => {
    await helper.load(NODES, twoConfigs(h), { ...credentials(), ...credentials(APP.appKey, 'cfg2') });
    const required = await helper.request().get('/aqara/token-status');
    assert.equal(required.status, 400);
    assert.equal((required.body as { code: string }).code, 'CONFIG_REQUIRED');

    const missing = await helper.request().get('/aqara/token-status?config=nope');
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { code: string }).code, 'CONFIG_NOT_FOUND');

    const twice = await helper.request().get('/aqara/token-status?config=cfg&config=cfg2');
    assert.equal(twice.status, 400);
    assert.equal((twice.body as { code: string }).code, 'INVALID_REQUEST');

    const office = await helper.request().get('/aqara/token-status?config=cfg2');
    assert.equal(office.status, 200);
    assert.equal((office.body as { configured: boolean }).configured, false);
  });

  it('a config that cannot be used reports its problem as last_error', async () => {
    await helper.load(NODES, sceneFlow(h), credentials(''));
    const response = await helper.request().get('/aqara/token-status');
    assert.equal(response.status, 200);
    const body = response.body as Record<string, unknown>;
    assert.equal(body.configured, false);
    assert.equal(body.state, 'error');
    assert.match(String(body.last_error), /has no App Key/);
  });
});

describe('admin routes and other web sites', () => {
  const h = harnessPerTest();
  const EVIL = 'http://attacker.example';

  /** supertest gives every request its own port: the Host header is set to one the test knows. */
  const HOST = 'node-red.local:1880';

  /** Each route as a browser on some site would call it, or a client that sends no Origin header. */
  function requests(origin: string | undefined) {
    const withOrigin = <T extends { set(field: string, value: string): T }>(request: T): T =>
      origin === undefined ? request.set('Host', HOST) : request.set('Host', HOST).set('Origin', origin);
    return [
      withOrigin(helper.request().post('/aqara/refresh-token').set('Content-Type', 'application/json')).send(
        JSON.stringify({ refresh_token: h.sim.issueRefreshToken(), config: 'cfg' }),
      ),
      withOrigin(helper.request().get('/aqara/token-status?config=cfg')),
      withOrigin(helper.request().get('/aqara/scenes?config=cfg')),
    ];
  }

  it('refuses a request whose Origin names another host: 403, JSON, nothing stored', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    for (const origin of [EVIL, 'null', `http://${HOST}.attacker.example`, 'http://node-red.local:1881']) {
      for (const response of await Promise.all(requests(origin))) {
        assert.equal(response.status, 403, `${origin}: ${response.text}`);
        assert.match(response.headers['content-type'], /application\/json/);
        const body = response.body as { error: string; code: string; details: string };
        assert.deepEqual(Object.keys(body).sort(), ['code', 'details', 'error']);
        assert.equal(body.code, 'CROSS_ORIGIN');
      }
    }
    assert.equal(TokenStore.open(h.dbPath).read('cfg'), undefined, 'no token was stored');
    assert.equal(h.sim.callCount(), 0, 'no Aqara call was made');
  });

  it("answers the editor's own page (same host) and clients that send no Origin (curl)", async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    for (const origin of [undefined, `http://${HOST}`, `HTTP://NODE-RED.local:1880`]) {
      const statuses = (await Promise.all(requests(origin))).map((response) => response.status);
      // The scenes route answers 409 here: the token was only just stored, by the first request.
      assert.ok(
        statuses.every((status) => status !== 403),
        `${String(origin)}: ${statuses.join(', ')}`,
      );
    }
  });
});

/** What the admin app gets, in order: the origin guard, every route of routes.ts, the body-error answers. */
const EXPECTED_ADMIN_APP = [
  'USE /aqara',
  ...ADMIN_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`),
  'USE /aqara',
];

describe('admin route registration', () => {
  it('adds the routes once per admin app, with the contract permissions', () => {
    const added: string[] = [];
    const permissions: string[] = [];
    const app = {
      get: (path: string) => added.push(`GET ${path}`),
      post: (path: string) => added.push(`POST ${path}`),
      use: (path: string) => added.push(`USE ${path}`),
    };
    const RED = {
      httpAdmin: app,
      auth: {
        needsPermission: (permission: string) => {
          permissions.push(permission);
          return () => undefined;
        },
      },
    } as unknown as NodeAPI;
    registerRoutes(RED);
    registerRoutes(RED);
    registerRoutes({ ...RED } as NodeAPI);
    assert.deepEqual(added, EXPECTED_ADMIN_APP);
    assert.deepEqual(
      permissions,
      ADMIN_ROUTES.map((route) => route.permission),
    );
  });

  it("also guards /aqara on the app RED.httpAdmin is mounted in, where Node-RED's body parser runs", () => {
    const outer: string[] = [];
    const inner: string[] = [];
    const parent = { use: (path: string) => outer.push(`USE ${path}`) };
    const app = {
      parent,
      get: (path: string) => inner.push(`GET ${path}`),
      post: (path: string) => inner.push(`POST ${path}`),
      use: (path: string) => inner.push(`USE ${path}`),
    };
    registerRoutes({
      httpAdmin: app,
      auth: { needsPermission: () => () => undefined },
    } as unknown as NodeAPI);
    assert.deepEqual(inner, EXPECTED_ADMIN_APP);
    assert.deepEqual(outer, ['USE /aqara']);
  });
});
