import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { TokenStore } from '../../src/lib/tokens/store';
import type { AqaraConfigNode } from '../../src/runtime/config/config-node';
import { managerOf } from '../../src/runtime/config/config-registry';
import {
  APP,
  credentials,
  type FlowNode,
  flowWith,
  type Harness,
  harnessPerTest,
  helper,
  loggedText,
  nextMessage,
  node,
  NODES,
  onTab,
  postToken,
  seedRefreshToken,
  TAB,
  waitFor,
  setFlows,
} from './support';

const DAY_MS = 24 * 3600 * 1000;
const NO_TOKEN = 'no refresh token configured - please add one using the admin API';
const REFRESH = 'config.auth.refreshToken';
/** Long enough for a message that is coming to have arrived (deliveries take a few event-loop turns). */
const SETTLE_MS = 200;

type Msg = Record<string, unknown>;

interface NotifyOptions {
  /** The aqara-token-status node's id: notices are remembered per node id across deploys. */
  id: string;
  emitOnChange?: unknown;
  warnDays?: unknown;
  config?: Record<string, unknown>;
  /** More token-status nodes with notices on, to see that each sends once. */
  extra?: number;
}

/** A scene node (to make the manager refresh), and token-status node(s) wired to `notices`. */
function notifyFlow(h: Harness, options: NotifyOptions): FlowNode[] {
  const statusNodes = [
    options.id,
    ...Array.from({ length: options.extra ?? 0 }, (_, i) => `${options.id}x${i}`),
  ];
  return [
    ...flowWith(
      h,
      [{ id: 'scene', type: 'aqara-scene', config: 'cfg', scene: 'tv_pin_entry', wires: [['out']] }],
      options.config,
    ),
    ...statusNodes.map((id) =>
      onTab({
        id,
        type: 'aqara-token-status',
        config: 'cfg',
        emitOnChange: options.emitOnChange ?? true,
        warnDays: options.warnDays ?? '7',
        wires: [['notices']],
      }),
    ),
    onTab({ id: 'notices', type: 'helper' }),
  ];
}

/** Every message `notices` receives from now on (node objects are new after each deploy). */
function collect(id = 'notices'): Msg[] {
  const got: Msg[] = [];
  node(id).on('input', (msg) => got.push(msg));
  return got;
}

const topics = (msgs: Msg[]): unknown[] => msgs.map((msg) => msg.topic);
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

async function runScene(): Promise<Msg> {
  const outcome = Promise.race([nextMessage('out'), nextMessage('caught')]);
  node('scene').receive({});
  return outcome;
}

/** Stores a valid refresh token last updated `ageMs` ago; its expiry estimate is 37 days after that. */
function seedAgedToken(h: Harness, ageMs: number): string {
  const token = h.sim.issueRefreshToken();
  TokenStore.open(h.dbPath).write('cfg', token, APP.appId, new Date(Date.now() - ageMs));
  return token;
}

function killTokens(h: Harness): void {
  h.sim.expireAccessTokens();
  for (const token of h.sim.currentRefreshTokens()) h.sim.expireRefreshToken(token);
}

describe('aqara-token-status with emitOnChange', () => {
  const h = harnessPerTest();
  let seq = 0;
  /** A new node id per test: what a node announced is remembered across deploys by its id. */
  let id: string;

  beforeEach(() => {
    id = `notify${++seq}`;
  });

  it('sends "refreshed" with the settled status after a refresh, and nothing else', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, notifyFlow(h, { id }), credentials());
    const got = collect();
    await runScene();
    await waitFor(() => got.length > 0, 'a notice');
    await settle();
    assert.deepEqual(topics(got), ['refreshed']);
    const payload = got[0].payload as Record<string, unknown>;
    assert.equal(payload.configured, true);
    assert.equal(payload.state, 'ready', 'the state after the refresh, not "refreshing"');
    assert.equal(payload.access_token_status, 'valid');
    assert.equal(payload.last_error, null);
    assert.equal(typeof payload.refresh_token_expires_at, 'string');
    assert.equal(got[0].error, undefined);
  });

  it('a dead refresh token: "reauthorization_needed" once, again after a new token dies', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, notifyFlow(h, { id }), credentials());
    const got = collect();
    await runScene();
    killTokens(h);
    const failed = await runScene();
    assert.match((failed.error as { message: string }).message, /refresh token has expired/);
    await waitFor(() => topics(got).includes('reauthorization_needed'), 'reauthorization_needed');
    const notice = got.find((msg) => msg.topic === 'reauthorization_needed') as Msg;
    assert.match(String(notice.error), /^refresh token has expired - please update it manually/);
    assert.equal((notice.payload as Record<string, unknown>).state, 'expired');

    // Every call retries the refresh and fails the same way: the condition is announced once.
    await runScene();
    await runScene();
    await settle();
    assert.deepEqual(topics(got), ['refreshed', 'reauthorization_needed']);

    // A person pastes a new token: that is over. When the new one dies too, it is news again.
    assert.equal((await postToken({ refresh_token: h.sim.issueRefreshToken(), config: 'cfg' })).status, 200);
    await runScene();
    killTokens(h);
    await runScene();
    await waitFor(
      () => topics(got).filter((topic) => topic === 'reauthorization_needed').length === 2,
      'a second reauthorization_needed',
    );
    assert.deepEqual(topics(got), [
      'refreshed',
      'reauthorization_needed',
      'refreshed',
      'reauthorization_needed',
    ]);
  });

  it('refused app credentials also need a person: "reauthorization_needed"', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, notifyFlow(h, { id }), credentials('not-the-app-key'));
    const got = collect();
    await runScene();
    await waitFor(() => got.length > 0, 'a notice');
    assert.equal(got[0].topic, 'reauthorization_needed');
    assert.match(String(got[0].error), /Aqara rejected the app credentials/);
    assert.equal((got[0].payload as Record<string, unknown>).state, 'auth_error');
  });

  it('a refresh finding no refresh token stored needs a person too: "reauthorization_needed"', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, notifyFlow(h, { id }), credentials());
    const got = collect();
    // The token is gone behind the node's back (e.g. the database was replaced).
    TokenStore.open(h.dbPath).delete('cfg');
    const failed = await runScene();
    assert.match((failed.error as { message: string }).message, new RegExp(NO_TOKEN));
    await waitFor(() => got.length > 0, 'a notice');
    await settle();
    assert.deepEqual(topics(got), ['reauthorization_needed']);
    assert.match(String(got[0].error), new RegExp(`^${NO_TOKEN}`));
    assert.equal((got[0].payload as Record<string, unknown>).state, 'no_token');
  });

  it('deployed with no refresh token stored: "reauthorization_needed" at once, not again on redeploy', async () => {
    const flow = notifyFlow(h, { id });
    await helper.load(NODES, flow, credentials());
    const got = collect();
    await waitFor(() => got.length > 0, 'a notice');
    await settle();
    assert.deepEqual(topics(got), ['reauthorization_needed']);
    assert.equal(got[0].error, NO_TOKEN);
    assert.equal((got[0].payload as Record<string, unknown>).configured, false);

    await setFlows(flow, 'full', credentials());
    const afterRedeploy = collect();
    await settle();
    assert.deepEqual(afterRedeploy, [], 'announced today already');
  });

  for (const [state, kill, reason] of [
    ['expired', killTokens, /^refresh token has expired - please update it manually/],
    ['auth_error', null, /Aqara rejected the app credentials/],
  ] as const) {
    it(`a config already "${state}" when the node starts: "reauthorization_needed" after the deploy`, async () => {
      seedRefreshToken(h);
      const appKey = kill ? APP.appKey : 'not-the-app-key';
      // The failure happens while no notifying node listens (in the field: during a deploy).
      const flow = notifyFlow(h, { id });
      await helper.load(
        NODES,
        flow.filter((n) => n.type !== 'aqara-token-status'),
        credentials(appKey),
      );
      kill?.(h);
      await runScene();
      assert.equal(managerOf('cfg')?.state, state);

      await setFlows(flow, 'full', credentials(appKey));
      const got = collect();
      await waitFor(() => got.length > 0, 'a notice');
      await settle();
      assert.deepEqual(topics(got), ['reauthorization_needed']);
      assert.match(String(got[0].error), reason);
      assert.equal((got[0].payload as Record<string, unknown>).state, state);

      // Once a day, across deploys, and the failing calls that follow add nothing.
      await setFlows(flow, 'full', credentials(appKey));
      const later = collect();
      await runScene();
      await settle();
      assert.deepEqual(later, []);
    });
  }

  it('a refresh that fails for a passing reason is "refresh_failed"; the recovery is "refreshed"', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, notifyFlow(h, { id }), credentials());
    const got = collect();
    // Every attempt of one refresh (three, with back-off) meets a broken Aqara.
    h.sim.injectFault({ intent: REFRESH, fault: { kind: 'http500', body: 'json' }, times: 3 });
    await runScene();
    await waitFor(() => got.length > 0, 'a notice');
    assert.equal(got[0].topic, 'refresh_failed');
    assert.match(String(got[0].error), /token refresh failed/);
    assert.equal((got[0].payload as Record<string, unknown>).state, 'error');

    await runScene();
    await waitFor(() => got.length > 1, 'a second notice');
    await settle();
    assert.deepEqual(topics(got), ['refresh_failed', 'refreshed']);
  });

  it('"refresh_token_expiring" after deploy when the estimate is within warnDays, once a day', async () => {
    // Updated 35 days ago: the estimate is 35 - 7 - 30 = 2 days from now.
    seedAgedToken(h, 35 * DAY_MS);
    const flow = notifyFlow(h, { id, warnDays: '3' });
    await helper.load(NODES, flow, credentials());
    const got = collect();
    await waitFor(() => got.length > 0, 'a notice');
    await settle();
    assert.deepEqual(topics(got), ['refresh_token_expiring']);
    const payload = got[0].payload as Record<string, unknown>;
    const left = Date.parse(String(payload.refresh_token_expires_at)) - Date.now();
    assert.ok(left > 1.9 * DAY_MS && left < 2.1 * DAY_MS, `expires in ${left / DAY_MS} days`);
    assert.equal(got[0].error, undefined);

    // A redeploy is not news: the same node said so today already.
    await setFlows(flow, 'full', credentials());
    const afterRedeploy = collect();
    await settle();
    assert.deepEqual(afterRedeploy, []);

    // Removed and added again, it is a new node: it tells again.
    await setFlows(
      flow.filter((n) => n.id !== id),
      'full',
      credentials(),
    );
    await setFlows(flow, 'full', credentials());
    const afterReAdd = collect();
    await waitFor(() => afterReAdd.length > 0, 'a notice from the re-added node');
    assert.deepEqual(topics(afterReAdd), ['refresh_token_expiring']);
  });

  it('no expiry notice while the estimate is further away than warnDays', async () => {
    seedAgedToken(h, 35 * DAY_MS);
    await helper.load(NODES, notifyFlow(h, { id, warnDays: '1' }), credentials());
    const got = collect();
    await settle();
    assert.deepEqual(got, []);
  });

  it('the expiry is looked at again on every state change of the manager', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, notifyFlow(h, { id }), credentials());
    const got = collect();
    await settle();
    assert.deepEqual(got, [], 'a fresh token is far from expiry');

    // The token ages behind the manager's back (e.g. Node-RED was down), then refreshing fails.
    seedAgedToken(h, 35 * DAY_MS);
    h.sim.injectFault({ intent: REFRESH, fault: { kind: 'http500', body: 'json' }, times: 3 });
    await runScene();
    // The expiry is seen as soon as the refresh starts ('refreshing'); the failure after its retries.
    await waitFor(() => got.length >= 2, 'two notices');
    await settle();
    assert.deepEqual(topics(got), ['refresh_token_expiring', 'refresh_failed']);
  });

  it('an unusable warnDays warns and the default of 7 days applies', async () => {
    seedAgedToken(h, 35 * DAY_MS);
    await helper.load(NODES, notifyFlow(h, { id, warnDays: 'soon' }), credentials());
    const got = collect();
    await waitFor(() => got.length > 0, 'a notice');
    assert.equal(got[0].topic, 'refresh_token_expiring');
    assert.match(loggedText(), /warn days \\"soon\\" is not a number of days from 0 to 30; using 7 days/);
  });

  it('an input is still answered with the status, topic and all, as before', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, notifyFlow(h, { id }), credentials());
    const got = collect();
    node(id).receive({ topic: 'check' });
    await waitFor(() => got.length > 0, 'the answer');
    await settle();
    assert.equal(got.length, 1);
    assert.equal(got[0].topic, 'check');
    assert.equal((got[0].payload as Record<string, unknown>).state, 'ready');
  });

  it('with emitOnChange off (the default) nothing is sent by itself', async () => {
    seedAgedToken(h, 35 * DAY_MS);
    const flow = notifyFlow(h, { id, emitOnChange: false }).map((n) => {
      if (n.id !== id) return n;
      // As a flow from before the option existed: neither property.
      const old = { ...n };
      delete old.emitOnChange;
      delete old.warnDays;
      return old;
    });
    await helper.load(NODES, flow, credentials());
    const got = collect();
    await runScene();
    killTokens(h);
    await runScene();
    await settle();
    assert.deepEqual(got, []);
    node(id).receive({});
    await waitFor(() => got.length === 1, 'the answer to an input');
  });

  it('redeploying 20 times leaves the manager with the same listeners, and one notice per node', async () => {
    seedRefreshToken(h);
    const flow = notifyFlow(h, { id, extra: 2 });
    await helper.load(NODES, flow, credentials());
    const manager = managerOf('cfg');
    assert.ok(manager);
    const events = ['state', 'refreshed', 'refresh-failed'] as const;
    const runtimeEvents = (helper as unknown as { _events: EventEmitter })._events;
    const config = () => helper.getNode('cfg') as unknown as AqaraConfigNode;
    const counts = () => [
      ...events.map((event) => manager.listenerCount(event)),
      runtimeEvents.listenerCount('flows:started'),
      config().tokenEventSubscribers(),
    ];
    const before = counts();
    assert.deepEqual(before.slice(0, 3), [1, 1, 1], 'one per event, from the config node');
    assert.equal(before[4], 4, "the config's status mirror and the three token-status nodes");

    for (let deploy = 0; deploy < 20; deploy++) {
      // Alternate full deploys and deploys that restart only the token-status nodes.
      const changed = flow.map((n) =>
        n.type === 'aqara-token-status' ? { ...n, name: `deploy ${deploy}` } : n,
      );
      await setFlows(changed, deploy % 2 === 0 ? 'full' : 'nodes', credentials());
      assert.equal(managerOf('cfg'), manager, 'the manager is kept');
      assert.deepEqual(counts(), before, `after deploy ${deploy + 1}`);
    }

    const got = collect();
    await runScene();
    await waitFor(() => got.length >= 3, 'a notice from each node');
    await settle();
    assert.deepEqual(topics(got), ['refreshed', 'refreshed', 'refreshed'], 'no old node sends');

    await setFlows([TAB, onTab({ id: 'notices', type: 'helper' })], 'full');
    assert.deepEqual(
      events.map((event) => manager.listenerCount(event)),
      [0, 0, 0],
      'a removed config leaves nothing on the manager',
    );
  });

  it('a subscriber that throws cannot break a refresh or the other subscribers', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, notifyFlow(h, { id }), credentials());
    const config = helper.getNode('cfg') as unknown as AqaraConfigNode;
    const unsubscribe = config.onTokenEvent(() => {
      throw new Error('subscriber bug');
    });
    const got = collect();
    const ran = await runScene();
    assert.equal((ran.payload as Record<string, unknown>).sceneId, 'AL.100000000000000001');
    await waitFor(() => got.length > 0, 'the notice of the other subscriber');
    assert.equal(got[0].topic, 'refreshed');
    assert.match(loggedText(), /a token event subscriber failed: subscriber bug/);
    unsubscribe();
  });

  it('never sends a token or the App Key', async () => {
    const issued = [seedRefreshToken(h)];
    await helper.load(NODES, notifyFlow(h, { id }), credentials());
    const got = collect();
    await runScene();
    await runScene();
    killTokens(h);
    await runScene();
    issued.push(h.sim.issueRefreshToken());
    await postToken({ refresh_token: issued[1], config: 'cfg' });
    await runScene();
    await setFlows(notifyFlow(h, { id }), 'full', credentials('wrong-app-key-value'));
    const gotWrongKey = collect();
    h.sim.expireAccessTokens();
    await runScene();
    await waitFor(() => gotWrongKey.length > 0, 'the auth failure');
    await settle();

    const all = [...got, ...gotWrongKey];
    assert.deepEqual(topics(all), [
      'refreshed',
      'reauthorization_needed',
      'refreshed',
      'reauthorization_needed',
    ]);
    const accessTokens = h.sim.calls.map((call) => call.accessToken).filter((t): t is string => !!t);
    assert.ok(accessTokens.length > 0);
    const secrets = [
      APP.appKey,
      'wrong-app-key-value',
      ...issued,
      ...h.sim.currentRefreshTokens(),
      ...accessTokens,
    ];
    const text = JSON.stringify(all);
    for (const secret of new Set(secrets)) {
      assert.ok(!text.includes(secret), `a notice contains a secret (${secret.slice(0, 4)}…)`);
    }
  });
});

describe('examples/token-expiry-notification.json', () => {
  const h = harnessPerTest();

  /** The example aimed at the simulator, with its Debug node swapped for a helper node to read from. */
  async function loadExample(): Promise<{ configId: string; notifications: Msg[] }> {
    const file = join(__dirname, '../../examples/token-expiry-notification.json');
    const flow = JSON.parse(readFileSync(file, 'utf8')) as FlowNode[];
    const config = flow.find((n) => n.type === 'aqara-config') as FlowNode;
    const debug = flow.find((n) => n.type === 'debug') as FlowNode;
    const live = flow.map((n) => {
      if (n === config)
        return { ...n, region: 'custom', baseUrl: h.baseUrl, appId: APP.appId, keyId: APP.keyId };
      if (n === debug) return { id: n.id, type: 'helper', z: n.z, x: n.x, y: n.y, wires: [] };
      return n;
    });
    const core = await Promise.all(
      ['common/90-comment.js', 'function/10-switch.js', 'function/80-template.js'].map(
        async (module) =>
          ((await import(`@node-red/nodes/core/${module}`)) as { default: (RED: never) => unknown }).default,
      ),
    );
    await helper.load([...NODES, ...core], live, credentials(APP.appKey, config.id));
    return { configId: config.id, notifications: collect(debug.id) };
  }

  function seedFor(configId: string, ageMs: number): string {
    const token = h.sim.issueRefreshToken();
    TokenStore.open(h.dbPath).write(configId, token, APP.appId, new Date(Date.now() - ageMs));
    return token;
  }

  it('a refused refresh token becomes a notification telling the person what to do', async () => {
    // Example config id, known before loading so the token is there when the flow starts.
    const configId = 'e7a1f00000000009';
    const dead = seedFor(configId, 8 * DAY_MS);
    h.sim.expireRefreshToken(dead);
    const { notifications } = await loadExample();
    // The keep-alive finds the 8-day-old token and tries to refresh it (its timer would, within the hour).
    assert.equal(await managerOf(configId)?.keepAliveTick(), 'failed');
    await waitFor(() => notifications.length > 0, 'a notification');
    await settle();
    assert.equal(notifications.length, 1);
    assert.equal(notifications[0].topic, 'reauthorization_needed');
    assert.match(
      String(notifications[0].payload),
      /^Aqara needs you: refresh token has expired - please update it manually.*paste it into 'Refresh token'/s,
    );
  });

  it('a refresh token close to its end becomes a notification with the date; "refreshed" none', async () => {
    const configId = 'e7a1f00000000009';
    seedFor(configId, 35 * DAY_MS);
    const { notifications } = await loadExample();
    await waitFor(() => notifications.length > 0, 'a notification');
    assert.equal(notifications[0].topic, 'refresh_token_expiring');
    assert.match(
      String(notifications[0].payload),
      /^The Aqara refresh token is expected to expire on \d{4}-\d\d-\d\dT[\d:.]+Z \(estimate\)/,
    );
    // The keep-alive refreshes it: all is well again, which is nothing to notify.
    assert.equal(await managerOf(configId)?.keepAliveTick(), 'refreshed');
    await settle();
    assert.equal(notifications.length, 1);
  });
});
