import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  AqaraSimulator,
  DEFAULT_APP,
  DEFAULT_POSITIONS,
  DEFAULT_ROOM_SCENES,
  DEFAULT_SCENES,
} from '../../simulator/server';
import type { SimulatorPosition, SimulatorScene } from '../../simulator/server';
import { registerRoutes } from '../../src/runtime/routes';
import { CATALOG_PAGE_SIZE } from '../../src/lib/aqara/intents/scenes';
import type { NodeAPI } from '../../src/runtime/node-red-api';
import { assertNoSecrets } from '../helpers/secrets';
import {
  configNode,
  credentials,
  type Harness,
  helper,
  NODES,
  sceneFlow,
  seedRefreshToken,
  startHarness,
  stopHarness,
  TAB,
} from './support';

interface ErrorBody {
  error: string;
  code: string;
  details: string;
}

function getScenes(config?: string) {
  const request = helper.request().get('/aqara/scenes');
  return config === undefined ? request : request.query({ config });
}

describe('admin route GET /aqara/scenes', () => {
  let h: Harness;

  afterEach(async () => {
    await stopHarness(h);
  });

  describe('with the default simulator account', () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    it("lists the account's scenes with their home or room, through the config's token manager", async () => {
      await helper.load(NODES, sceneFlow(h), credentials());
      seedRefreshToken(h);
      const response = await getScenes('cfg');
      assert.equal(response.status, 200, response.text);
      assert.match(response.headers['content-type'], /application\/json/);
      assert.equal(response.headers['cache-control'], 'no-store');
      // The contract asks the body to say when the listing was made (it comes from a cache).
      const { listedAt, ...listing } = response.body as { listedAt: string };
      assert.ok(Math.abs(Date.parse(listedAt) - Date.now()) < 60_000, listedAt);
      assert.deepEqual(listing, {
        scenes: [...DEFAULT_SCENES, ...DEFAULT_ROOM_SCENES].map((scene) => ({
          sceneId: scene.sceneId,
          name: scene.name,
          positionId: scene.positionId,
          positionName: DEFAULT_POSITIONS.find((position) => position.positionId === scene.positionId)
            ?.positionName,
        })),
        truncated: false,
      });
      // One refresh for the first call; the second call reuses the cached access token.
      assert.equal(h.sim.callCount('config.auth.refreshToken'), 1);
      // The homes, then the rooms of the one home.
      assert.equal(h.sim.callCount('query.position.info'), 2);
      // The home and its two rooms.
      assert.equal(h.sim.callCount('query.scene.listByPositionId'), 3);
      const asked = h.sim.calls.find((call) => call.intent === 'query.position.info')?.data;
      assert.deepEqual(asked, { parentPositionId: '', pageNum: 1, pageSize: CATALOG_PAGE_SIZE });
    });

    it('config may be left out when exactly one aqara-config is deployed', async () => {
      await helper.load(NODES, sceneFlow(h), credentials());
      seedRefreshToken(h);
      const response = await getScenes();
      assert.equal(response.status, 200, response.text);
      assert.equal(
        (response.body as { scenes: unknown[] }).scenes.length,
        DEFAULT_SCENES.length + DEFAULT_ROOM_SCENES.length,
      );
    });

    it('not deployed: CONFIG_NOT_FOUND (404) telling to deploy first', async () => {
      await helper.load(NODES, sceneFlow(h), credentials());
      const response = await getScenes('not-deployed-yet');
      assert.equal(response.status, 404);
      const body = response.body as ErrorBody;
      assert.equal(body.code, 'CONFIG_NOT_FOUND');
      assert.equal(body.error, 'Config node not found');
      assert.match(body.details, /deploy the config first/);
    });

    it('no aqara-config deployed at all: CONFIG_NOT_FOUND; several and none named: CONFIG_REQUIRED', async () => {
      await helper.load(NODES, [TAB], {});
      assert.equal((await getScenes()).status, 404);
      assert.equal(((await getScenes()).body as ErrorBody).code, 'CONFIG_NOT_FOUND');
      await helper.unload();
      await helper.load(NODES, [TAB, configNode(h), configNode(h, { id: 'cfg2', name: 'office' })], {
        ...credentials(),
        ...credentials(DEFAULT_APP.appKey, 'cfg2'),
      });
      const response = await getScenes();
      assert.equal(response.status, 400);
      assert.equal((response.body as ErrorBody).code, 'CONFIG_REQUIRED');
      assert.equal(h.sim.callCount(), 0, 'nothing was asked of Aqara');
    });

    it('a config value that is not one string is INVALID_REQUEST', async () => {
      await helper.load(NODES, sceneFlow(h), credentials());
      const response = await helper.request().get('/aqara/scenes?config=a&config=b');
      assert.equal(response.status, 400);
      assert.equal((response.body as ErrorBody).code, 'INVALID_REQUEST');
    });

    it('no refresh token stored: 409 TOKEN_NOT_CONFIGURED with the contract text', async () => {
      await helper.load(NODES, sceneFlow(h), credentials());
      const response = await getScenes('cfg');
      assert.equal(response.status, 409);
      const body = response.body as ErrorBody;
      assert.equal(body.code, 'TOKEN_NOT_CONFIGURED');
      assert.match(body.details, /no refresh token configured - please add one using the admin API/);
      assert.equal(h.sim.callCount(), 0);
    });

    it('a config that cannot be used (no App Key): 409 CONFIG_INVALID', async () => {
      await helper.load(NODES, sceneFlow(h), credentials(''));
      const response = await getScenes('cfg');
      assert.equal(response.status, 409);
      assert.equal((response.body as ErrorBody).code, 'CONFIG_INVALID');
      assert.match((response.body as ErrorBody).details, /has no App Key/);
    });

    it("Aqara refusing a listing: 502 AQARA_ERROR with Aqara's code and text, no secret", async () => {
      await helper.load(NODES, sceneFlow(h), credentials());
      const token = seedRefreshToken(h);
      h.sim.injectFault({
        intent: 'query.scene.listByPositionId',
        fault: { kind: 'code', code: 708, message: 'scene permission denied' },
      });
      const response = await getScenes('cfg');
      assert.equal(response.status, 502);
      const body = response.body as ErrorBody;
      assert.deepEqual(Object.keys(body).sort(), ['code', 'details', 'error']);
      assert.equal(body.error, 'Aqara request failed');
      assert.equal(body.code, 'AQARA_ERROR');
      assert.match(body.details, /708/);
      assert.match(body.details, /scene permission denied/);
      assert.ok(!/\n\s+at /.test(body.details), 'no stack trace');
      assertNoSecrets([response.text, JSON.stringify(helper.log().args)], {
        'app key': [DEFAULT_APP.appKey],
        'refresh token': [token, ...h.sim.currentRefreshTokens()],
      });
    });

    it('an expired refresh token: 502 with the contract text a user searches for', async () => {
      await helper.load(NODES, sceneFlow(h), credentials());
      const token = seedRefreshToken(h);
      h.sim.expireRefreshToken(token);
      const response = await getScenes('cfg');
      assert.equal(response.status, 502);
      assert.match(
        (response.body as ErrorBody).details,
        /refresh token has expired - please update it manually/,
      );
    });

    it('two requests at once share one listing', async () => {
      await helper.load(NODES, sceneFlow(h), credentials());
      seedRefreshToken(h);
      const [first, second] = await Promise.all([getScenes('cfg'), getScenes('cfg')]);
      assert.equal(first.status, 200);
      assert.deepEqual(second.body, first.body);
      assert.equal(h.sim.callCount('query.position.info'), 2, 'one listing: the homes and their rooms');
    });
  });

  it('reads every page of positions and of scenes', async () => {
    // A home with more rooms than fit on one page, and one room with scenes over three pages.
    const rooms: SimulatorPosition[] = Array.from({ length: CATALOG_PAGE_SIZE + 5 }, (_, i) => ({
      positionId: `real2.p${i}`,
      positionName: `Home ${i}`,
      parentPositionId: 'real1.home',
    }));
    const positions: SimulatorPosition[] = [{ positionId: 'real1.home', positionName: 'House' }, ...rooms];
    const scenes: SimulatorScene[] = [
      ...rooms.map((position, i) => ({
        sceneId: `AL.9000000000${String(i).padStart(4, '0')}`,
        name: `scene of ${position.positionName}`,
        positionId: position.positionId,
      })),
      ...Array.from({ length: 2 * CATALOG_PAGE_SIZE + 10 }, (_, i) => ({
        sceneId: `AL.8000000000${String(i).padStart(4, '0')}`,
        name: `busy ${i}`,
        positionId: 'real2.p0',
      })),
    ];
    h = await startHarness(new AqaraSimulator({ positions, scenes }));
    await helper.load(NODES, sceneFlow(h), credentials());
    seedRefreshToken(h);
    const response = await getScenes('cfg');
    assert.equal(response.status, 200, response.text);
    const body = response.body as {
      scenes: Array<{ sceneId: string; positionName: string }>;
      truncated: boolean;
    };
    assert.equal(body.truncated, false);
    assert.deepEqual(
      body.scenes.map((scene) => scene.sceneId).sort(),
      scenes.map((scene) => scene.sceneId).sort(),
    );
    assert.equal(body.scenes.find((scene) => scene.sceneId === scenes[3].sceneId)?.positionName, 'Home 3');
    // The homes, then two pages of the home's rooms.
    assert.equal(h.sim.callCount('query.position.info'), 3);
    // The home, each room, and two more pages for the busy room.
    assert.equal(h.sim.callCount('query.scene.listByPositionId'), positions.length + 2);
    const pagesOfBusy = h.sim.calls
      .filter((call) => call.intent === 'query.scene.listByPositionId')
      .map((call) => call.data as { positionId: string; pageNum: number })
      .filter((data) => data.positionId === 'real2.p0')
      .map((data) => data.pageNum);
    assert.deepEqual(pagesOfBusy, [1, 2, 3]);
  });
});

describe('scene route registration', () => {
  it('GET /aqara/scenes needs aqara-config.read', () => {
    const routes: Array<[string, string]> = [];
    let pending = '';
    const app = {
      get: (path: string) => routes.push([`GET ${path}`, pending]),
      post: (path: string) => routes.push([`POST ${path}`, pending]),
      use: () => undefined,
    };
    registerRoutes({
      httpAdmin: app,
      auth: {
        // Called while the route's arguments are evaluated, i.e. just before get/post records it.
        needsPermission: (permission: string) => {
          pending = permission;
          return () => undefined;
        },
      },
    } as unknown as NodeAPI);
    assert.deepEqual(
      routes.find(([route]) => route === 'GET /aqara/scenes'),
      ['GET /aqara/scenes', 'aqara-config.read'],
    );
  });
});
