import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { runScene } from '../../src/lib/aqara/intents/scenes';
import { CONFIG_ID, type Harness, SCENE_ID, startHarness } from '../helpers/token-harness';

/*
 * The promise the shared store must not cost SQLite users: a scene run with a cached access token
 * touches no database at all. Proved by closing the database after the first refresh.
 */
describe('a cached access token on SQLite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('runs scenes with the database closed', async () => {
    h.seedToken();
    const manager = h.makeManager();
    await runScene(manager, SCENE_ID);
    h.store.close();
    assert.throws(() => h.store.read(CONFIG_ID), 'the database is really closed');
    for (let run = 0; run < 5; run++) await runScene(manager, SCENE_ID);
    assert.equal(h.sim.sceneRuns.length, 6);
    assert.equal(h.sim.callCount('config.auth.refreshToken'), 1);
  });
});
