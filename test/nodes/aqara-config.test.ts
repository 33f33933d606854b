import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AqaraSimulator, DEFAULT_APP } from '../../simulator/server';
import { TokenStore } from '../../src/lib/tokens/store';
import { managerOf } from '../../src/runtime/config/config-registry';
import {
  configNode,
  credentials,
  type FlowNode,
  harnessPerTest,
  helper,
  lastStatus,
  nextMessage,
  node,
  NODES,
  onTab,
  readCatalog,
  sceneFlow,
  seedRefreshToken,
  statusBecomes,
  TAB,
  waitFor,
  setFlows,
} from './support';

const REFRESH = 'config.auth.refreshToken';
/**
 * How long the simulator holds a refresh before answering (and rotating the token). The tests below
 * compare the order of events, not durations: this only has to outlast a deploy by a wide margin.
 */
const SLOW_REFRESH_MS = 2500;

async function runOnce(): Promise<Record<string, unknown>> {
  const out = nextMessage('out');
  node('scene').receive({});
  return out;
}

describe('aqara-config lifecycle', () => {
  const h = harnessPerTest();

  it('a full redeploy with an unchanged config keeps the manager and its access token', async () => {
    seedRefreshToken(h);
    const flow = sceneFlow(h);
    await helper.load(NODES, flow, credentials());
    const manager = managerOf('cfg');
    const configInstance = helper.getNode('cfg');
    await runOnce();
    assert.equal(h.sim.callCount(REFRESH), 1);

    await setFlows(flow, 'full', credentials());
    assert.notEqual(helper.getNode('cfg'), configInstance, 'Node-RED rebuilt the config node');
    assert.equal(managerOf('cfg'), manager, 'same manager after the redeploy');
    await runOnce();
    await setFlows(flow, 'full', credentials());
    await runOnce();
    assert.equal(h.sim.callCount(REFRESH), 1, 'no refresh caused by the redeploys');
    assert.equal(h.sim.sceneRuns.length, 3);
    assert.equal(manager?.listenerCount('state'), 1, 'only the live config node listens');
  });

  it('changing only name or scenes keeps the manager too', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h), credentials());
    const manager = managerOf('cfg');
    await runOnce();
    await setFlows(
      sceneFlow(h, 'tv_pin_entry', { name: 'renamed', scenes: { tv_pin_entry: 'AL.100000000000000003' } }),
      'full',
      credentials(),
    );
    assert.equal(managerOf('cfg'), manager);
    const payload = (await runOnce()).payload as Record<string, unknown>;
    assert.equal(payload.sceneId, 'AL.100000000000000003', 'the new scene map is used');
    assert.equal(h.sim.callCount(REFRESH), 1);
  });

  it('a changed App Key starts a fresh manager (and the wrong key shows "auth error")', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h), credentials());
    const manager = managerOf('cfg');
    await runOnce();

    await setFlows(sceneFlow(h), 'full', credentials('not-the-app-key'));
    const fresh = managerOf('cfg');
    assert.ok(fresh);
    assert.notEqual(fresh, manager, 'a new manager');
    assert.equal(manager?.listenerCount('state'), 0, 'the old manager was let go');

    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.match(error.message, /Aqara rejected the app credentials/);
    await statusBecomes('scene', 'auth error');
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'auth error' });
  });

  it('a changed base URL starts fresh: the new manager refreshes again', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h), credentials());
    const manager = managerOf('cfg');
    await runOnce();
    assert.equal(h.sim.callCount(REFRESH), 1);

    await setFlows(
      sceneFlow(h, 'tv_pin_entry', { baseUrl: h.baseUrl.replace('127.0.0.1', 'localhost') }),
      'full',
      credentials(),
    );
    assert.notEqual(managerOf('cfg'), manager);
    await runOnce();
    assert.equal(h.sim.callCount(REFRESH), 2, 'no cached access token carried over');
  });

  it('a changed App ID or Key ID starts fresh', async () => {
    await h.sim.stop();
    const second = { appId: 'second-app', keyId: 'K.second', appKey: 'second-app-key' };
    h.sim = new AqaraSimulator({ apps: [DEFAULT_APP, second] });
    h.baseUrl = await h.sim.start();
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h), credentials());
    const first = managerOf('cfg');

    await setFlows(sceneFlow(h, 'tv_pin_entry', { keyId: 'K.other' }), 'full', credentials());
    const afterKeyId = managerOf('cfg');
    assert.notEqual(afterKeyId, first);

    await setFlows(
      sceneFlow(h, 'tv_pin_entry', { appId: second.appId, keyId: second.keyId }),
      'full',
      credentials(second.appKey),
    );
    assert.notEqual(managerOf('cfg'), afterKeyId);
  });

  it('a config node removed from the flows closes and drops its manager', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h), credentials());
    const manager = managerOf('cfg');
    assert.ok(manager);
    await setFlows([TAB, onTab({ id: 'out', type: 'helper' })], 'full');
    assert.equal(managerOf('cfg'), undefined);
    assert.equal(manager.listenerCount('state'), 0);
  });

  it('a "nodes" deploy of a changed flow node leaves the config and its manager alone', async () => {
    seedRefreshToken(h);
    const flow = sceneFlow(h);
    await helper.load(NODES, flow, credentials());
    const manager = managerOf('cfg');
    await runOnce();
    const changed = flow.map((n: FlowNode) => (n.id === 'scene' ? { ...n, scene: 'tv_warning' } : n));
    await setFlows(changed, 'nodes', credentials());
    assert.equal(managerOf('cfg'), manager);
    const payload = (await runOnce()).payload as Record<string, unknown>;
    assert.equal(payload.scene, 'tv_warning');
    assert.equal(h.sim.callCount(REFRESH), 1);
    // The re-created scene node registered again and mirrors the state.
    assert.equal(manager?.listenerCount('state'), 1);
  });

  it('stopped flows keep the manager for the next start (within the grace period)', async () => {
    seedRefreshToken(h);
    const flow = sceneFlow(h);
    await helper.load(NODES, flow, credentials());
    const manager = managerOf('cfg');
    await runOnce();
    await helper.clearFlows();
    assert.equal(managerOf('cfg'), manager, 'kept while waiting for a restart');
    assert.equal(manager?.listenerCount('state'), 0, 'but nothing of the stopped nodes listens');
  });

  it('an unusable token database shows "storage error" and says why on use', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const file = join(h.dir, 'a-file');
    writeFileSync(file, '');
    helper.settings({ aqaraConfigDbPath: join(file, 'sub', 'tokens.db') });
    await helper.load(NODES, sceneFlow(h), credentials());
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'storage error' });
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.match(
      error.message,
      /aqara-config "home" cannot use its token database: token database .* cannot open/,
    );
  });

  it('an App ID Aqara could never accept shows "bad settings"', async () => {
    await helper.load(NODES, sceneFlow(h, 'tv_pin_entry', { appId: 'two words' }), credentials());
    assert.deepEqual(lastStatus('scene'), { fill: 'red', shape: 'ring', text: 'bad settings' });
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.match(error.message, /aqara-config "home" cannot be used: Aqara App ID contains characters/);
  });

  it('status texts of every token state fit under a node (20 characters)', () => {
    for (const [file, section] of [
      ['aqara-config', 'aqara-config'],
      ['aqara-scene', 'aqara-scene'],
      ['aqara-token-status', 'aqara-token-status'],
    ] as const) {
      const catalog = readCatalog(file)[section] as { status: Record<string, string> };
      for (const [key, text] of Object.entries(catalog.status)) {
        const shown = text.replace(/__\w+__/g, '');
        assert.ok(shown.length <= 20, `${file} status.${key} "${text}" is too long`);
      }
    }
  });
});

describe('aqara-config closing while a token refresh is in flight', () => {
  const h = harnessPerTest();

  const storedToken = (): string | undefined => TokenStore.open(h.dbPath).read('cfg')?.refreshToken;

  /** Loads the flow and starts a refresh that the simulator answers only after SLOW_REFRESH_MS. */
  async function loadWithSlowRefresh(flow: FlowNode[]): Promise<string> {
    const seeded = seedRefreshToken(h);
    await helper.load(NODES, flow, credentials());
    h.sim.injectFault({ intent: REFRESH, fault: { kind: 'delay', ms: SLOW_REFRESH_MS } });
    node('scene').receive({});
    await waitFor(() => h.sim.callCount(REFRESH) === 1, 'the refresh to reach the simulator');
    return seeded;
  }

  /** The refresh has ended and left a token in the database that Aqara (the simulator) accepts. */
  async function rotatedTokenIsStored(seeded: string, manager = managerOf('cfg')): Promise<void> {
    assert.ok(manager);
    await manager.idle();
    const stored = storedToken();
    assert.ok(stored !== undefined && stored !== seeded, 'the rotated token replaced the sent one');
    assert.ok(h.sim.isRefreshTokenValid(stored), 'the stored token is the live one');
  }

  it('a full redeploy does not wait for it; the kept manager still stores the rotated token', async () => {
    const flow = sceneFlow(h);
    const seeded = await loadWithSlowRefresh(flow);
    const manager = managerOf('cfg');
    await setFlows(flow, 'full', credentials());
    assert.equal(storedToken(), seeded, 'the redeploy finished while the refresh was still out');
    assert.equal(managerOf('cfg'), manager, 'the redeploy kept the manager');
    await rotatedTokenIsStored(seeded);
  });

  it('a redeploy that replaces the manager lets the old one finish and store the rotated token', async () => {
    const seeded = await loadWithSlowRefresh(sceneFlow(h));
    const old = managerOf('cfg');
    // Another address of the same simulator: a new manager (and client), nothing else changes.
    const moved = sceneFlow(h, 'tv_pin_entry', { baseUrl: h.baseUrl.replace('127.0.0.1', 'localhost') });
    await setFlows(moved, 'full', credentials());
    assert.notEqual(managerOf('cfg'), old, 'a new manager');
    await rotatedTokenIsStored(seeded, old);
    const payload = (await runOnce()).payload as Record<string, unknown>;
    assert.equal(payload.sceneId, 'AL.100000000000000001', 'the new manager refreshes with the stored token');
  });

  it('a removed config waits: the rotated token is stored before the deploy completes', async () => {
    const seeded = await loadWithSlowRefresh(sceneFlow(h));
    const manager = managerOf('cfg');
    await setFlows([TAB, onTab({ id: 'out', type: 'helper' })], 'full');
    assert.notEqual(storedToken(), seeded, 'stored before the close completed');
    assert.equal(managerOf('cfg'), undefined);
    await rotatedTokenIsStored(seeded, manager);
  });

  it('stopping the flows without a deploy (as on shutdown) waits for the rotated token', async () => {
    const seeded = await loadWithSlowRefresh(sceneFlow(h));
    const manager = managerOf('cfg');
    // The helper's clearFlows is the runtime's stopFlows() with no arguments: what runtime.stop() calls.
    await helper.clearFlows();
    assert.notEqual(storedToken(), seeded, 'stored before the flows finished stopping');
    await rotatedTokenIsStored(seeded, manager);
  });
});

describe('aqara-config database location', () => {
  it('uses settings.aqaraConfigDbPath, else <userDir>/aqara-cloud/tokens.db', async () => {
    const { resolveDbPath } = await import('../../src/runtime/config/config-spec');
    const t = (key: string): string => key;
    assert.equal(
      resolveDbPath({ aqaraConfigDbPath: '/srv/tokens.db', userDir: '/home/u/.node-red' }, t),
      '/srv/tokens.db',
    );
    assert.equal(
      resolveDbPath({ userDir: '/home/u/.node-red' }, t),
      '/home/u/.node-red/aqara-cloud/tokens.db',
    );
    assert.throws(() => resolveDbPath({ aqaraConfigDbPath: 42 }, t), /bad-db-setting/);
  });

  it('a default database is created under the user directory', async () => {
    const { mkdtempSync, existsSync, statSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const userDir = mkdtempSync(join(tmpdir(), 'aqara-userdir-'));
    const sim = new AqaraSimulator();
    const baseUrl = await sim.start();
    try {
      helper.settings({ userDir, aqaraConfigDbPath: undefined });
      await helper.load(NODES, [TAB, configNode({ sim, baseUrl, dir: userDir, dbPath: '' })], credentials());
      const db = join(userDir, 'aqara-cloud', 'tokens.db');
      assert.ok(existsSync(db));
      assert.equal(statSync(db).mode & 0o777, 0o600);
      assert.equal(statSync(join(userDir, 'aqara-cloud')).mode & 0o777, 0o700);
    } finally {
      await helper.unload();
      const closing = (await import('../../src/runtime/config/config-registry')).closeAllConfigRuntimes();
      await sim.stop();
      await closing;
      rmSync(userDir, { recursive: true, force: true });
    }
  });
});
