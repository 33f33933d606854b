import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { SimulatorPosition, SimulatorScene } from '../../simulator/server';
import type { AqaraResponse } from '../../src/lib/aqara/client';
import { isAqaraError } from '../../src/lib/aqara/errors';
import type { IntentCaller } from '../../src/lib/aqara/intents/caller';
import {
  listAccountScenes,
  listAccountScenesShared,
  MAX_CATALOG_CALLS,
  POSITIONS_INTENT,
  runScene,
  SceneCatalogError,
  SCENES_INTENT,
} from '../../src/lib/aqara/intents/scenes';
import { type Harness, SCENE_ID, startHarness } from '../helpers/token-harness';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the promise to reject');
}

describe('scene intents against the simulator, through a real token manager', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("runs a scene and hands back Aqara's requestId and result", async () => {
    h = await startHarness();
    h.seedToken();
    const run = await runScene(h.makeManager(), SCENE_ID);
    assert.ok(run.requestId.length > 0);
    // The simulator answers a run with an empty string, as Aqara's config.* intents do.
    assert.equal(run.result, '');
    assert.deepEqual(
      h.sim.sceneRuns.map((r) => r.sceneId),
      [SCENE_ID],
    );
  });

  it('names the scene id when Aqara says the scene does not exist', async () => {
    h = await startHarness();
    h.seedToken();
    const manager = h.makeManager();
    const error = await rejection(runScene(manager, 'AL.999'));
    assert.match(error.message, /AL\.999 does not exist \(code 1202\)/);
  });

  it('code 716 is "does not exist" too; other failures pass through unchanged', async () => {
    h = await startHarness();
    h.seedToken();
    const manager = h.makeManager();
    h.sim.injectFault({ intent: 'config.scene.run', fault: { kind: 'code', code: 716 } });
    const missing = await rejection(runScene(manager, SCENE_ID));
    assert.ok(isAqaraError(missing) && missing.kind === 'caller' && missing.code === 716);
    assert.ok(missing.message.includes(`${SCENE_ID} does not exist (code 716)`));
    h.sim.injectFault({ intent: 'config.scene.run', fault: { kind: 'code', code: 708 } });
    const denied = await rejection(runScene(manager, SCENE_ID));
    assert.ok(isAqaraError(denied) && denied.code === 708);
    assert.doesNotMatch(denied.message, /does not exist/);
  });

  it('lists the scenes of every home and of each of its rooms, asking for homes with parentPositionId ""', async () => {
    const positions: SimulatorPosition[] = [
      { positionId: 'real1.h1', positionName: 'Home' },
      { positionId: 'real2.r1', positionName: 'Kitchen', parentPositionId: 'real1.h1' },
      { positionId: 'real2.r2', positionName: 'Empty room', parentPositionId: 'real1.h1' },
      { positionId: 'real1.h2', positionName: 'Office' },
    ];
    const scenes: SimulatorScene[] = [
      { sceneId: 'AL.1', name: 'all off', positionId: 'real1.h1' },
      { sceneId: 'AL.2', name: 'cooking', positionId: 'real2.r1' },
      { sceneId: 'AL.3', name: 'lights on', positionId: 'real1.h2' },
    ];
    h = await startHarness({ positions, scenes });
    h.seedToken();
    const catalog = await listAccountScenes(h.makeManager());
    assert.deepEqual(catalog, {
      scenes: [
        { sceneId: 'AL.1', name: 'all off', positionId: 'real1.h1', positionName: 'Home' },
        { sceneId: 'AL.2', name: 'cooking', positionId: 'real2.r1', positionName: 'Kitchen' },
        { sceneId: 'AL.3', name: 'lights on', positionId: 'real1.h2', positionName: 'Office' },
      ],
      truncated: false,
    });
    const parents = h.sim.calls
      .filter((call) => call.intent === POSITIONS_INTENT)
      .map((call) => (call.data as { parentPositionId?: unknown }).parentPositionId);
    // Homes, then the rooms of each home; a room's own children are never asked for.
    assert.deepEqual(parents, ['', 'real1.h1', 'real1.h2']);
    assert.equal(h.sim.callCount(SCENES_INTENT), 4, 'two homes and two rooms, one page each');
  });
});

describe('scene catalog paging against a misbehaving server', () => {
  /** A caller answering every call with what `answer` returns, recording each call. */
  function fakeCaller(answer: (intent: string, data: Record<string, unknown>) => unknown) {
    const calls: Array<{ intent: string; data: Record<string, unknown> }> = [];
    const caller: IntentCaller = {
      call: <T>(intent: string, data: unknown) => {
        const query = data as Record<string, unknown>;
        calls.push({ intent, data: query });
        const response: AqaraResponse<T> = {
          code: 0,
          requestId: '',
          message: 'Success',
          result: answer(intent, query) as T,
        };
        return Promise.resolve(response);
      },
    };
    return { caller, calls };
  }

  const isHomes = (intent: string, data: Record<string, unknown>): boolean =>
    intent === POSITIONS_INTENT && data.parentPositionId === '';

  it('a server that always has one more new page stops at the call budget, marked truncated', async () => {
    const { caller, calls } = fakeCaller((intent, data) => {
      if (isHomes(intent, data))
        return { data: [{ positionId: 'home', positionName: 'Home' }], totalCount: 1 };
      if (intent === POSITIONS_INTENT) return { data: [], totalCount: 0 };
      // Always a full page of new ids and a total it never reaches.
      return {
        data: Array.from({ length: 2 }, (_, i) => ({
          sceneId: `AL.${String(data.pageNum)}.${i}`,
          name: 'x',
        })),
        totalCount: 1_000_000,
      };
    });
    const catalog = await listAccountScenes(caller, { pageSize: 2 });
    assert.equal(catalog.truncated, true);
    assert.equal(calls.length, MAX_CATALOG_CALLS);
    // Two calls went to positions: the homes, and the rooms of the one home.
    assert.equal(catalog.scenes.length, (MAX_CATALOG_CALLS - 2) * 2);
  });

  it('a server that ignores pageNum (same page again) ends the listing instead of looping', async () => {
    // It also ignores parentPositionId: the home comes back as its own room and is not walked twice.
    const { caller, calls } = fakeCaller((intent) =>
      intent === POSITIONS_INTENT
        ? { data: [{ positionId: 'home' }], totalCount: 99 }
        : { data: [{ sceneId: 'AL.1', name: 'one' }], totalCount: 99 },
    );
    const catalog = await listAccountScenes(caller, { pageSize: 1 });
    assert.deepEqual(catalog, {
      scenes: [{ sceneId: 'AL.1', name: 'one', positionId: 'home', positionName: 'home' }],
      truncated: false,
    });
    // Page 2 brought nothing new for any list: homes, rooms and scenes, two calls each.
    assert.equal(calls.length, 6);
  });

  it('without a totalCount a short page is the last one; items without an id are skipped', async () => {
    const { caller, calls } = fakeCaller((intent, data) => {
      if (isHomes(intent, data)) return { data: [{ positionId: 'home', positionName: 'Home' }] };
      if (intent === POSITIONS_INTENT) return { data: [] };
      return data.pageNum === 1
        ? { data: [{ sceneId: 'AL.1', name: 'one' }, { name: 'no id' }, 'junk'] }
        : { data: [{ sceneId: 'AL.2' }] };
    });
    const catalog = await listAccountScenes(caller, { pageSize: 3 });
    assert.deepEqual(
      catalog.scenes.map((scene) => [scene.sceneId, scene.name]),
      [
        ['AL.1', 'one'],
        ['AL.2', 'AL.2'],
      ],
    );
    // Homes, rooms, then two pages of scenes.
    assert.equal(calls.length, 4);
  });

  it('an answer without a list of items is a SceneCatalogError naming the intent', async () => {
    const { caller } = fakeCaller(() => ({ nothing: true }));
    await assert.rejects(listAccountScenes(caller), (error: unknown) => {
      assert.ok(error instanceof SceneCatalogError);
      assert.match(error.message, /query\.position\.info/);
      return true;
    });
  });

  it('the shared listing forgets a failed run, so the next request tries again', async () => {
    let fail = true;
    const { caller, calls } = fakeCaller((intent) => {
      if (fail) return null;
      return intent === POSITIONS_INTENT ? { data: [] } : { data: [] };
    });
    await assert.rejects(listAccountScenesShared(caller), SceneCatalogError);
    fail = false;
    assert.deepEqual(await listAccountScenesShared(caller), { scenes: [], truncated: false });
    assert.equal(calls.length, 2);
  });

  it('every positions call names its parent: "" for the homes, never left out', async () => {
    const { caller, calls } = fakeCaller((intent, data) => {
      if (isHomes(intent, data)) return { data: [{ positionId: 'h1' }, { positionId: 'h2' }], totalCount: 2 };
      if (intent === POSITIONS_INTENT) return { data: [], totalCount: 0 };
      return { data: [], totalCount: 0 };
    });
    await listAccountScenes(caller);
    assert.deepEqual(
      calls.filter((call) => call.intent === POSITIONS_INTENT).map((call) => call.data.parentPositionId),
      ['', 'h1', 'h2'],
    );
  });
});
