import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AqaraSimulator } from '../../simulator/server';
import {
  catchToCaught,
  configNode,
  credentials,
  harnessPerTest,
  helper,
  lastStatus,
  missingCatalogKeys,
  nextMessage,
  node,
  NODES,
  onTab,
  sceneFlow,
  SCENES,
  seedRefreshToken,
  statusBecomes,
  statuses,
  TAB,
} from './support';

const NO_TOKEN = 'no refresh token configured - please add one using the admin API';
const EXPIRED = 'refresh token has expired - please update it manually';

describe('aqara-scene', () => {
  const h = harnessPerTest();
  after(() => {
    assert.deepEqual([...missingCatalogKeys], [], 'every key the nodes asked for is in their catalog');
  });

  it('runs a scene by name and outputs {sceneId, scene, requestId, result}', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h, 'tv_warning'), credentials());
    const out = nextMessage('out');
    node('scene').receive({ payload: 'go', topic: 'kept' });
    const msg = await out;

    const payload = msg.payload as Record<string, unknown>;
    assert.equal(payload.sceneId, SCENES.tv_warning);
    assert.equal(payload.scene, 'tv_warning');
    assert.equal(typeof payload.requestId, 'string');
    assert.ok((payload.requestId as string).length > 0);
    assert.ok(Object.hasOwn(payload, 'result'));
    assert.equal(msg.topic, 'kept', 'the rest of the message passes through');
    assert.deepEqual(
      h.sim.sceneRuns.map((run) => run.sceneId),
      [SCENES.tv_warning],
    );
    assert.deepEqual(lastStatus('scene'), { fill: 'green', shape: 'dot', text: 'ran tv_warning' });
  });

  it('runs a literal scene id; scene in the output is then the id', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h, SCENES.tv_power_off), credentials());
    const out = nextMessage('out');
    node('scene').receive({});
    const payload = (await out).payload as Record<string, unknown>;
    assert.equal(payload.sceneId, SCENES.tv_power_off);
    assert.equal(payload.scene, SCENES.tv_power_off);
    assert.equal(h.sim.sceneRuns.at(-1)?.sceneId, SCENES.tv_power_off);
  });

  it('msg.scene overrides the property, by name or by id', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h, 'tv_pin_entry'), credentials());

    let out = nextMessage('out');
    node('scene').receive({ scene: 'tv_power_off' });
    let payload = (await out).payload as Record<string, unknown>;
    assert.deepEqual([payload.scene, payload.sceneId], ['tv_power_off', SCENES.tv_power_off]);

    out = nextMessage('out');
    node('scene').receive({ scene: SCENES.tv_warning });
    payload = (await out).payload as Record<string, unknown>;
    assert.deepEqual([payload.scene, payload.sceneId], [SCENES.tv_warning, SCENES.tv_warning]);

    assert.deepEqual(
      h.sim.sceneRuns.map((run) => run.sceneId),
      [SCENES.tv_power_off, SCENES.tv_warning],
    );
  });

  it('an unknown name fails with the names that exist, and sends nothing to Aqara', async () => {
    seedRefreshToken(h);
    await helper.load(
      NODES,
      sceneFlow(h, 'tv_pin_entry', {
        scenes: { tv_pin_entry: SCENES.tv_pin_entry, tv_warning: SCENES.tv_warning },
      }),
      credentials(),
    );
    const caught = nextMessage('caught');
    node('scene').receive({ scene: 'foo', payload: 1 });
    const msg = await caught;
    const error = msg.error as { message: string; source: { id: string } };
    assert.match(error.message, /unknown scene "foo" - known scenes: tv_pin_entry, tv_warning$/);
    assert.equal(error.source.id, 'scene');
    assert.equal(msg.payload, 1, 'the Catch node gets the failed message');
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'unknown scene' });
    assert.equal(h.sim.callCount(), 0);
  });

  it('a name with no scene list fails clearly; msg.scene of the wrong type too', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h, 'tv_pin_entry', { scenes: {} }), credentials());
    let caught = nextMessage('caught');
    node('scene').receive({});
    let error = (await caught).error as { message: string };
    assert.match(error.message, /unknown scene "tv_pin_entry" - the aqara-config names no scenes/);

    caught = nextMessage('caught');
    node('scene').receive({ scene: 42 });
    error = (await caught).error as { message: string };
    assert.match(error.message, /msg\.scene must be a string \(a scene name or id\), not number/);
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'no scene' });
  });

  it("Aqara's scene-does-not-exist answer (1202) names the scene id", async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h, 'tv_warning'), credentials());
    h.sim.injectFault({ fault: { kind: 'code', code: 1202 }, intent: 'config.scene.run' });
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string; code?: number };
    assert.ok(error.message.includes(SCENES.tv_warning), error.message);
    assert.ok(error.message.includes('"tv_warning"'), error.message);
    assert.match(error.message, /does not exist/);
    assert.equal(error.code, 1202, 'Node-RED copies the error code to msg.error.code');
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'unknown scene' });
  });

  it('Aqara\'s 429 shows "rate limited" (on an app of its own: the pause it causes is per app)', async () => {
    await h.sim.stop();
    const app = { appId: 'rate-limited-app', keyId: 'K.rate', appKey: 'rate-app-key' };
    h.sim = new AqaraSimulator({ apps: [app] });
    h.baseUrl = await h.sim.start();
    seedRefreshToken(h, 'cfg', app.appId);
    await helper.load(
      NODES,
      sceneFlow(h, 'tv_warning', { appId: app.appId, keyId: app.keyId }),
      credentials(app.appKey),
    );
    h.sim.injectFault({ fault: { kind: 'code', code: 429 }, intent: 'config.scene.run' });
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.match(error.message, /^AqaraError: scene "tv_warning": /);
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'rate limited' });
  });

  it('an id the simulator does not know fails naming that id', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h, 'AL.999999999999999999'), credentials());
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.ok(error.message.includes('AL.999999999999999999'), error.message);
  });

  it('without a refresh token the Catch node gets the contract text and the status says so', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    assert.deepEqual(lastStatus('scene'), { fill: 'yellow', shape: 'ring', text: 'no token' });
    const caught = nextMessage('caught');
    node('scene').receive({ payload: 'x' });
    const error = (await caught).error as { message: string };
    assert.ok(error.message.includes(NO_TOKEN), error.message);
    assert.equal(h.sim.callCount(), 0);
    assert.equal(lastStatus('scene')?.fill, 'red');
    assert.equal(lastStatus('scene')?.text, 'no token');
  });

  it('an expired refresh token gives the contract text and a red "refresh token dead"', async () => {
    const token = seedRefreshToken(h);
    h.sim.expireRefreshToken(token);
    await helper.load(NODES, sceneFlow(h), credentials());
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.ok(error.message.includes(EXPIRED), error.message);
    await statusBecomes('scene', 'refresh token dead');
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'refresh token dead' });
  });

  it('shows "refreshing" while the first access token is fetched, then the run', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h), credentials());
    h.sim.injectFault({ fault: { kind: 'delay', ms: 300 }, intent: 'config.auth.refreshToken' });
    const out = nextMessage('out');
    node('scene').receive({});
    await statusBecomes('scene', 'refreshing');
    assert.deepEqual(lastStatus('scene'), { fill: 'yellow', shape: 'ring', text: 'refreshing' });
    await out;
    const shown = statuses('scene').map((status) => status.text);
    assert.deepEqual(shown.slice(-3), ['refreshing', 'ready', 'ran tv_pin_entry']);
  });

  it('a long scene name is cut to fit the status', async () => {
    const long = 'living_room_evening_movie_mode';
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h, long, { scenes: { [long]: SCENES.tv_warning } }), credentials());
    const out = nextMessage('out');
    node('scene').receive({});
    await out;
    const text = lastStatus('scene')?.text ?? '';
    assert.ok(text.length <= 20, text);
    assert.ok(text.startsWith('ran living'), text);
  });

  it('goes back to the token state a few seconds after a success', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h), credentials());
    const out = nextMessage('out');
    node('scene').receive({});
    await out;
    assert.equal(lastStatus('scene')?.text, 'ran tv_pin_entry');
    await statusBecomes('scene', 'ready', 5000);
    assert.deepEqual(lastStatus('scene'), { fill: 'green', shape: 'dot', text: 'ready' });
  });

  it('a burst of runs keeps one timer to restore the status, not one per run', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h), credentials());
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    let out = nextMessage('out');
    node('scene').receive({});
    await out;
    const afterOne = timers();
    for (let run = 0; run < 20; run += 1) {
      out = nextMessage('out');
      node('scene').receive({});
      await out;
    }
    // Each earlier timer would also fire after a redeploy and paint the next node's status.
    assert.ok(timers() - afterOne <= 2, `${timers() - afterOne} more timers after 20 more runs`);
    assert.equal(h.sim.sceneRuns.length, 21);
  });

  it('a config without App Key: red status at deploy, a clear error on use, no crash', async () => {
    await helper.load(NODES, sceneFlow(h), credentials(''));
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'App Key missing' });
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.match(
      error.message,
      /aqara-config "home" has no App Key - open the config node, enter it and deploy/,
    );
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'App Key missing' });
    assert.equal(h.sim.callCount(), 0);
  });

  it('a config without App ID or with an unknown region says which', async () => {
    await helper.load(NODES, sceneFlow(h, 'tv_pin_entry', { appId: '  ' }), credentials());
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'App ID missing' });
    await helper.unload();

    await helper.load(NODES, sceneFlow(h, 'tv_pin_entry', { region: 'mars' }), credentials());
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'bad region/URL' });
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.match(error.message, /aqara-config "home" cannot be used: .*"mars".*not known/);
  });

  it('a scene node without a config node shows it and fails on use', async () => {
    await helper.load(NODES, [
      TAB,
      onTab({ id: 'scene', type: 'aqara-scene', config: 'nope', scene: 'x', wires: [['out']] }),
      onTab({ id: 'out', type: 'helper' }),
      ...catchToCaught(),
    ]);
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'no config' });
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.match(error.message, /no aqara-config selected/);
  });

  it('several nodes on one config all follow its state', async () => {
    await helper.load(
      NODES,
      [
        TAB,
        configNode(h),
        onTab({ id: 'a', type: 'aqara-scene', config: 'cfg', scene: 'tv_pin_entry' }),
        onTab({ id: 'b', type: 'aqara-scene', config: 'cfg', scene: 'tv_warning' }),
        onTab({ id: 'c', type: 'aqara-token-status', config: 'cfg' }),
      ],
      credentials(),
    );
    for (const id of ['a', 'b', 'c']) {
      assert.deepEqual(lastStatus(id), { fill: 'yellow', shape: 'ring', text: 'no token' }, id);
    }
    const response = await helper
      .request()
      .post('/aqara/refresh-token')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ refresh_token: h.sim.issueRefreshToken() }));
    assert.equal(response.status, 200);
    for (const id of ['a', 'b', 'c']) {
      assert.deepEqual(lastStatus(id), { fill: 'green', shape: 'dot', text: 'ready' }, id);
    }
  });
});
