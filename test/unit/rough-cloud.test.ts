import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AqaraClient } from '../../src/lib/aqara/client';
import { isAqaraError } from '../../src/lib/aqara/errors';
import { listAccountScenes, runScene } from '../../src/lib/aqara/intents/scenes';
import { DEFAULT_ROOM_SCENES, DEFAULT_SCENES } from '../../simulator/server';
import { assertNoSecrets, renderError } from '../helpers/secrets';
import { type Harness, startHarness } from '../helpers/token-harness';

/**
 * The simulator answers as roughly as the real cloud (109, `messageDetail`, a 108 that echoes the
 * token, Chinese texts, rooms): the client and the intents cope with it through ordinary calls.
 */

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the promise to reject');
}

describe('the client and the intents against a rough cloud', () => {
  let h: Harness;
  beforeEach(async () => {
    // The simulator's default account: a home with rooms, one scene in a room.
    h = await startHarness({ positions: undefined, scenes: undefined });
  });
  afterEach(async () => {
    await h.close();
  });

  it('a 108 that echoes the refused token (in messageDetail) is shown with the token masked', async () => {
    const client = h.makeClient();
    const dead = 'f'.repeat(32);
    const error = await rejection(client.request('query.scene.detail', { sceneId: 'AL.1' }, dead));
    assert.ok(isAqaraError(error) && error.kind === 'access_token' && error.code === 108);
    // The detail was read from `messageDetail`, and the token in it masked.
    assert.match(error.message, /Parameter AccessToken illegal/);
    assertNoSecrets([...renderError(error), ...h.logger.lines], { 'access token': [dead] });
  });

  it('a dead access token costs one refresh and one retry; its echo reaches no log', async () => {
    h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, DEFAULT_SCENES[0].sceneId);
    const before = await manager.getAccessToken();
    h.sim.expireAccessTokens();
    await runScene(manager, DEFAULT_SCENES[0].sceneId);
    assert.equal(h.sim.callCount('config.auth.refreshToken'), 2);
    assert.notEqual(await manager.getAccessToken(), before);
    assertNoSecrets(h.logger.lines, { 'access token': [before] });
  });

  it('109 (no access token) is an access-token failure, like 108', async () => {
    const error = await rejection(h.makeClient().request('query.scene.detail', { sceneId: 'AL.1' }));
    assert.ok(isAqaraError(error) && error.kind === 'access_token' && error.code === 109);
  });

  it('Chinese answers (Lang: zh): the scene that does not exist is still named, by code not text', async () => {
    h.seedToken();
    const app = h.sim.apps[0];
    const client = new AqaraClient({ baseUrl: h.sim.baseUrl, ...app, lang: 'zh' });
    try {
      const manager = h.makeManager({ client });
      const error = await rejection(runScene(manager, 'AL.404'));
      assert.match(error.message, /AL\.404 does not exist \(code 1202\)/);
      await runScene(manager, DEFAULT_SCENES[0].sceneId);
      assert.equal(h.sim.sceneRuns.length, 1);
    } finally {
      client.close();
    }
  });

  it('the listing finds the scene that sits in a room, named after the room', async () => {
    h.seedToken();
    const catalog = await listAccountScenes(h.makeManager());
    assert.equal(catalog.truncated, false);
    assert.deepEqual(
      catalog.scenes.map((scene) => [scene.sceneId, scene.positionName]),
      [
        ...DEFAULT_SCENES.map((scene) => [scene.sceneId, 'Home']),
        [DEFAULT_ROOM_SCENES[0].sceneId, 'Living room'],
      ],
    );
    // Homes, the home's rooms; then the home and its two rooms for scenes: 5 calls, not one wasted.
    assert.equal(h.sim.callCount('query.position.info'), 2);
    assert.equal(h.sim.callCount('query.scene.listByPositionId'), 3);
  });
});
