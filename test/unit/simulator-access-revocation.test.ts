import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { AqaraSimulator, API_PATH, type SimulatorOptions } from '../../simulator/server';
import { simHeaders } from '../helpers/sim-sign';
import { makeTempDir } from '../../support/temp-dir';

/*
 * Whether Aqara kills the previous access token when it refreshes is not documented, so the
 * simulator does both: kept (the default) and revoked (refreshRevokesAccessToken). Spoken to over
 * HTTP with the tests' own signer, as a client would.
 */

const HOMES = { parentPositionId: '' };

async function started(t: TestContext, options: SimulatorOptions = {}): Promise<AqaraSimulator> {
  const sim = new AqaraSimulator(options);
  await sim.start();
  t.after(() => sim.stop());
  return sim;
}

async function post(
  sim: AqaraSimulator,
  intent: string,
  data: unknown,
  accessToken?: string,
): Promise<{ code: number; result: unknown }> {
  const app = sim.apps[0];
  const response = await fetch(`${sim.baseUrl}${API_PATH}`, {
    method: 'POST',
    headers: {
      ...simHeaders({ appId: app.appId, keyId: app.keyId, appKey: app.appKey, accessToken }),
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ intent, data }),
  });
  return (await response.json()) as { code: number; result: unknown };
}

async function grant(
  sim: AqaraSimulator,
  refreshToken: string,
): Promise<{ accessToken: string; refreshToken?: string }> {
  const answer = await post(sim, 'config.auth.refreshToken', { refreshToken });
  assert.equal(answer.code, 0, 'the refresh works');
  return answer.result as { accessToken: string; refreshToken?: string };
}

/** Aqara's code for a call made with this access token. */
async function codeWith(sim: AqaraSimulator, accessToken: string): Promise<number> {
  return (await post(sim, 'query.position.info', HOMES, accessToken)).code;
}

test('by default a refresh leaves the previous access token valid until it expires', async (t) => {
  const sim = await started(t);
  const first = await grant(sim, sim.issueRefreshToken());
  const second = await grant(sim, first.refreshToken!);
  assert.equal(await codeWith(sim, first.accessToken), 0);
  assert.equal(await codeWith(sim, second.accessToken), 0);
});

test('with refreshRevokesAccessToken a refresh kills the access token obtained with the refresh token it used', async (t) => {
  const sim = await started(t, { refreshRevokesAccessToken: true });
  const first = await grant(sim, sim.issueRefreshToken());
  assert.equal(await codeWith(sim, first.accessToken), 0, 'a pasted token had no access token to kill');
  const second = await grant(sim, first.refreshToken!);
  assert.equal(await codeWith(sim, first.accessToken), 108, 'the previous access token is dead at once');
  assert.equal(await codeWith(sim, second.accessToken), 0);
  const third = await grant(sim, second.refreshToken!);
  assert.equal(await codeWith(sim, second.accessToken), 108);
  assert.equal(await codeWith(sim, third.accessToken), 0);
});

test('revocation follows the chain: another refresh token of the account keeps its access token', async (t) => {
  const sim = await started(t, { refreshRevokesAccessToken: true });
  const mine = await grant(sim, sim.issueRefreshToken());
  const theirs = await grant(sim, sim.issueRefreshToken());
  await grant(sim, mine.refreshToken!);
  assert.equal(await codeWith(sim, mine.accessToken), 108);
  assert.equal(await codeWith(sim, theirs.accessToken), 0);
});

test('revocation without rotation: refreshing the same refresh token again kills its last access token', async (t) => {
  const sim = await started(t, { refreshRevokesAccessToken: true, rotateRefreshToken: false });
  const token = sim.issueRefreshToken();
  const first = await grant(sim, token);
  const second = await grant(sim, token);
  assert.equal(first.refreshToken, undefined);
  assert.equal(await codeWith(sim, first.accessToken), 108);
  assert.equal(await codeWith(sim, second.accessToken), 0);
});

test('the chain survives a restart on a state file', async (t) => {
  const temp = makeTempDir();
  t.after(() => temp.remove());
  const stateFile = join(temp.path, 'sim-state.json');
  const before = new AqaraSimulator({ stateFile, refreshRevokesAccessToken: true });
  await before.start();
  const first = await grant(before, before.issueRefreshToken());
  await before.stop();

  const after = await started(t, { stateFile, refreshRevokesAccessToken: true });
  assert.equal(await codeWith(after, first.accessToken), 0);
  await grant(after, first.refreshToken!);
  assert.equal(await codeWith(after, first.accessToken), 108);
});
