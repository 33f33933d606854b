import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AqaraSimulator, DEFAULT_APP, DEFAULT_SCENES } from '../../simulator/server';
import { configFlowNode } from '../../support/flow-nodes';
import { NodeRedProcess } from '../../support/node-red-process';
import { installSourcePackage } from '../../support/install-package';
import { NODE_TYPES } from '../../src/nodes';
import { makeTempDir } from '../../support/temp-dir';

/**
 * The node modules from src in a real Node-RED (child process) with adminAuth on. The test helper
 * cannot show three things this does: Node-RED's admin app is two express apps (its body parser runs
 * in the outer one), RED.auth.needsPermission really checks scopes, and RED._ really reads the
 * catalog. The package is a generated wrapper that loads the TypeScript through tsx, so no build is needed.
 */

const PASSWORD = 'aqara-test-password';
/** bcrypt of PASSWORD (Node-RED's adminAuth stores only hashes). */
const PASSWORD_HASH = '$2b$08$.Um3jMrI/ld1S2aRB5WM.euEPxIbXZdgkeyPgDDLPqjpzPpfecPcy';
const CONFIG_ID = 'c0ffee0000000001';
const SCENE_ID = DEFAULT_SCENES[0].sceneId;

describe('in a real Node-RED with adminAuth', () => {
  const temp = makeTempDir('aqara-real-nr-');
  const sim = new AqaraSimulator();
  let red: NodeRedProcess;
  const tokens: Record<string, string> = {};

  async function call(
    method: 'GET' | 'POST',
    path: string,
    options: { user?: string; body?: string; type?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; type: string; text: string }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.user) headers.Authorization = `Bearer ${tokens[options.user]}`;
    if (options.type) headers['Content-Type'] = options.type;
    const response = await fetch(red.urlFor(path), { method, headers, body: options.body });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  }

  async function globalStatus(): Promise<{ text?: string; fill?: string }> {
    const answer = await call('GET', 'context/global/lastStatus', { user: 'admin' });
    const msg = (JSON.parse(answer.text) as { msg?: string }).msg;
    try {
      return JSON.parse(msg ?? '{}') as { text?: string; fill?: string };
    } catch {
      return {};
    }
  }

  async function statusBecomes(text: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    let last = {};
    while (Date.now() < deadline) {
      last = await globalStatus();
      if ((last as { text?: string }).text === text) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`status never became "${text}" (last ${JSON.stringify(last)})`);
  }

  before(async () => {
    const baseUrl = await sim.start();
    installSourcePackage(temp.path);
    red = await NodeRedProcess.start({
      userDir: temp.path,
      settings: {
        credentialSecret: 'a-test-credential-secret',
        aqaraConfigDbPath: join(temp.path, 'db', 'tokens.db'),
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'admin', password: PASSWORD_HASH, permissions: '*' },
            { username: 'reader', password: PASSWORD_HASH, permissions: 'read' },
            { username: 'flows-only', password: PASSWORD_HASH, permissions: ['flows.read'] },
          ],
          // Anonymous read keeps GET /settings open, which the process helper polls for readiness.
          default: { permissions: 'read' },
        },
      },
    });
    // A token may only ask for (part of) what the user is allowed.
    const scopes: Record<string, string> = { admin: '*', reader: 'read', 'flows-only': 'flows.read' };
    for (const [user, scope] of Object.entries(scopes)) {
      const answer = await call('POST', 'auth/token', {
        type: 'application/json',
        body: JSON.stringify({
          client_id: 'node-red-admin',
          grant_type: 'password',
          scope,
          username: user,
          password: PASSWORD,
        }),
      });
      assert.equal(answer.status, 200, `login ${user}: ${answer.text}`);
      tokens[user] = (JSON.parse(answer.text) as { access_token: string }).access_token;
    }
    const flow = [
      { id: 'tab1', type: 'tab', label: 'aqara' },
      configFlowNode(CONFIG_ID, {
        baseUrl,
        ...DEFAULT_APP,
        name: 'home',
        scenes: { tv_pin_entry: SCENE_ID },
      }),
      {
        id: 'inject1',
        type: 'inject',
        z: 'tab1',
        props: [{ p: 'payload' }],
        x: 100,
        y: 100,
        wires: [['scene1']],
      },
      {
        id: 'scene1',
        type: 'aqara-scene',
        z: 'tab1',
        config: CONFIG_ID,
        scene: 'tv_pin_entry',
        x: 300,
        y: 100,
        wires: [[]],
      },
      { id: 'status1', type: 'status', z: 'tab1', scope: ['scene1'], x: 100, y: 200, wires: [['change1']] },
      {
        id: 'change1',
        type: 'change',
        z: 'tab1',
        rules: [{ t: 'set', p: 'lastStatus', pt: 'global', to: 'status', tot: 'msg' }],
        x: 300,
        y: 200,
        wires: [[]],
      },
    ];
    const mark = red.mark();
    const deployed = await call('POST', 'flows', {
      user: 'admin',
      type: 'application/json',
      headers: { 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flow),
    });
    assert.equal(deployed.status, 204, deployed.text);
    await red.waitForLine(/Started flows/, { since: mark, timeoutMs: 20_000 });
  });

  after(async () => {
    await red?.stop();
    await sim.stop();
    temp.remove();
  });

  it('registers every node type of NODE_TYPES, from this package, without errors', async () => {
    const answer = await call('GET', 'nodes', { user: 'admin', headers: { Accept: 'application/json' } });
    const sets = (
      JSON.parse(answer.text) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>
    ).filter((set) => set.module === '@metron/node-red-aqara-cloud');
    assert.deepEqual(sets.flatMap((set) => set.types).sort(), [...NODE_TYPES].sort());
    for (const set of sets) {
      assert.equal(set.enabled, true);
      assert.equal(set.err, undefined, set.err);
    }
  });

  it('checks the contract permissions: read for token-status, write for refresh-token', async () => {
    const body = JSON.stringify({ refresh_token: 'abc' });
    assert.equal((await call('POST', 'aqara/refresh-token', { type: 'application/json', body })).status, 401);
    assert.equal(
      (await call('POST', 'aqara/refresh-token', { user: 'reader', type: 'application/json', body })).status,
      401,
    );
    assert.equal((await call('GET', 'aqara/token-status', { user: 'reader' })).status, 200);
    assert.equal((await call('GET', 'aqara/token-status', { user: 'flows-only' })).status, 401);
  });

  it("a page of another site is refused even with the admin's token; the editor's own page is not", async () => {
    const own = new URL(red.url).origin;
    const from = (origin: string) =>
      call('GET', 'aqara/token-status', { user: 'admin', headers: { Origin: origin } });
    const refused = await from('http://attacker.example');
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.type, /application\/json/);
    assert.equal((JSON.parse(refused.text) as { code: string }).code, 'CROSS_ORIGIN');
    assert.equal((await from(own)).status, 200);
  });

  it('a malformed body is a 400 JSON answer, and neither the answer nor the log quotes it', async () => {
    const mark = red.mark();
    for (const body of ['{"refresh_token": secret-in-bad-json}', '"secret-in-bad-json"']) {
      const answer = await call('POST', 'aqara/refresh-token', {
        user: 'admin',
        type: 'application/json',
        body,
      });
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.type, /application\/json/);
      assert.deepEqual(JSON.parse(answer.text), {
        error: 'Invalid request body',
        code: 'INVALID_REQUEST',
        details: 'request body is not valid JSON',
      });
    }
    // A reload logs "Started flows" after everything the bad bodies could have logged: once that line
    // is in, the log of the requests above is complete.
    const reload = await call('POST', 'flows', {
      user: 'admin',
      type: 'application/json',
      body: '[]',
      headers: { 'Node-RED-Deployment-Type': 'reload' },
    });
    assert.ok(reload.status >= 200 && reload.status < 300, `reload answered ${reload.status}`);
    await red.waitForLine(/\[info\] Started flows/, { since: mark, timeoutMs: 30_000 });
    assert.ok(!red.output().split('\n').slice(mark).join('\n').includes('secret-in-bad-json'));
  });

  it('shows translated status texts and runs a scene once a token is stored', async () => {
    const notConfigured = await call('GET', `aqara/token-status?config=${CONFIG_ID}`, { user: 'admin' });
    assert.equal((JSON.parse(notConfigured.text) as { configured: boolean }).configured, false);

    const token = sim.issueRefreshToken();
    const stored = await call('POST', 'aqara/refresh-token', {
      user: 'admin',
      type: 'application/json',
      body: JSON.stringify({ refresh_token: token, config: CONFIG_ID }),
    });
    assert.equal(stored.status, 200, stored.text);
    assert.ok(!stored.text.includes(token));
    await statusBecomes('ready');

    assert.equal((await call('POST', 'inject/inject1', { user: 'admin' })).status, 200);
    await statusBecomes('ran tv_pin_entry');
    assert.equal(sim.sceneRuns.at(-1)?.sceneId, SCENE_ID);

    const configured = JSON.parse(
      (await call('GET', `aqara/token-status?config=${CONFIG_ID}`, { user: 'reader' })).text,
    ) as { configured: boolean; access_token_status: string };
    assert.equal(configured.configured, true);
    assert.equal(configured.access_token_status, 'valid');

    const log = red.output();
    for (const secret of [token, DEFAULT_APP.appKey, ...sim.currentRefreshTokens()]) {
      assert.ok(!log.includes(secret), 'no secret in the Node-RED log');
    }
  });
});
