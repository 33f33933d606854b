import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  APP,
  credentials,
  flowWith,
  type Harness,
  helper,
  loggedText,
  nextMessage,
  node,
  NODES,
  postToken,
  startHarness,
  stopHarness,
  setFlows,
} from './support';

/**
 * One session that touches every path where a secret could leak (storing a token, refreshing,
 * rotating, failing with a dead token, failing with a wrong key), then searches everything a user or a
 * log reader can see for the App Key, any refresh token and any access token.
 */
describe('no secret leaves the token store and the client', () => {
  let h: Harness;
  const seen: string[] = [];
  const issued: string[] = [];
  let flowExport = '';
  let logs = '';
  let statusTexts = '';

  function flow() {
    return flowWith(h, [
      { id: 'scene', type: 'aqara-scene', config: 'cfg', scene: 'tv_pin_entry', wires: [['out']] },
      { id: 'status', type: 'aqara-token-status', config: 'cfg', wires: [['out']] },
    ]);
  }

  async function send(id: string, msg: Record<string, unknown> = {}): Promise<void> {
    const outcome = Promise.race([nextMessage('out'), nextMessage('caught')]);
    node(id).receive(msg);
    seen.push(JSON.stringify(await outcome));
  }

  function collectStatusesAndLogs(): void {
    // The helper spies on Node.prototype.status: every call by any node is in this one spy.
    statusTexts += JSON.stringify(
      node('out')
        .status.getCalls()
        .map((call) => call.args),
    );
    logs += loggedText();
  }

  before(async () => {
    h = await startHarness();
    await helper.load(NODES, flow(), credentials());

    const first = h.sim.issueRefreshToken();
    issued.push(first);
    const posted = await postToken({ refresh_token: first });
    seen.push(posted.text);
    await send('scene');
    await send('scene', { scene: 'tv_warning' });
    await send('status');
    seen.push((await helper.request().get('/aqara/token-status')).text);

    // Aqara refuses the access token, the refresh token then dies: both failure paths.
    h.sim.expireAccessTokens();
    for (const token of h.sim.currentRefreshTokens()) h.sim.expireRefreshToken(token);
    await send('scene');
    seen.push((await helper.request().get('/aqara/token-status')).text);

    // A bad request body quoting a token, and a wrong token shape.
    seen.push((await postToken(`{"refresh_token": ${first}}`)).text);
    seen.push((await postToken({ refresh_token: `${first} ${first}` })).text);

    const second = h.sim.issueRefreshToken();
    issued.push(second);
    seen.push((await postToken({ refresh_token: second })).text);
    await send('scene');

    flowExport = JSON.stringify(
      (helper as unknown as { _redNodes: { getFlows(): unknown } })._redNodes.getFlows(),
    );
    collectStatusesAndLogs();

    // A wrong App Key: the refresh fails with an auth error.
    await setFlows(flow(), 'full', credentials('wrong-app-key-value'));
    await send('scene');
    collectStatusesAndLogs();
  });

  after(async () => {
    await stopHarness(h);
  });

  function secrets(): string[] {
    const accessTokens = h.sim.calls
      .map((call) => call.accessToken)
      .filter((token): token is string => !!token);
    const all = [
      APP.appKey,
      'wrong-app-key-value',
      ...issued,
      ...h.sim.currentRefreshTokens(),
      ...accessTokens,
    ];
    assert.ok(accessTokens.length > 0, 'the session used access tokens');
    return [...new Set(all)];
  }

  function assertFree(where: string, text: string): void {
    assert.ok(text.length > 0, `${where} was collected`);
    for (const secret of secrets()) {
      assert.ok(!text.includes(secret), `${where} contains a secret (${secret.slice(0, 4)}…)`);
    }
  }

  it('the session did reach the failure paths', () => {
    const all = seen.join('\n');
    assert.match(all, /refresh token has expired - please update it manually/);
    assert.match(all, /Aqara rejected the app credentials/);
    assert.match(all, /Refresh token updated successfully/);
  });

  it('not in route answers, output or caught messages', () => {
    assertFree('answers and messages', seen.join('\n'));
  });

  it('not in any status text', () => {
    assertFree('status texts', statusTexts);
  });

  it('not in anything logged by the nodes or the runtime', () => {
    assert.match(logs, /access token refreshed/, "the library's lines reach the node log");
    assertFree('log', logs);
  });

  it('not in the flows Node-RED saves and exports', () => {
    assertFree('flow export', flowExport);
    assert.ok(!flowExport.includes('appKey'), 'the App Key is a credential, not a property');
  });
});
