import { join } from 'node:path';
import { AqaraSimulator, type SimulatorApp, type SimulatorOptions } from '../../../simulator/server';
import { TokenStore } from '../../../src/lib/tokens/store';
import { makeTempDir } from '../../../support/temp-dir';

/**
 * One scenario's world: a real simulator on 127.0.0.1, a token database in a fresh temp folder, and
 * the parent's own connection to that database for reading what the children left there. Nothing of
 * the protocol is mocked. (test/helpers/token-harness.ts does much the same for unit tests; the suite
 * keeps its own so that it controls the simulator options and the store's busy timeout.)
 */

export const CONFIG_ID = 'cfg-reliability';
export const SCENE_ID = 'AL.836646140352004096';
export const REFRESH_INTENT = 'config.auth.refreshToken';
export const SCENE_INTENT = 'config.scene.run';
const POSITION_ID = 'real1.home';

export interface Lab {
  sim: AqaraSimulator;
  baseUrl: string;
  app: SimulatorApp;
  dir: string;
  dbPath: string;
  /** The parent's connection; opened lazily so a scenario can let a child create the file first. */
  store(): TokenStore;
  /** Mints a refresh token on the simulator and stores it, as a person pasting one would. */
  seedToken(configId?: string): string;
  /** The stored refresh token, or undefined. */
  storedToken(configId?: string): string | undefined;
  /** Whether the simulator would accept the stored refresh token right now. */
  storedTokenValid(configId?: string): boolean;
  /** argv shared by the manager-running fixtures: dbPath baseUrl appId keyId appKey sceneId configId. */
  childArgs(configId?: string): string[];
  close(): Promise<void>;
}

export async function startLab(
  simOptions: SimulatorOptions = {},
  prefix = 'aqara-reliability-',
): Promise<Lab> {
  const sim = new AqaraSimulator({
    positions: [{ positionId: POSITION_ID, positionName: 'Home' }],
    scenes: [{ sceneId: SCENE_ID, name: 'tv_pin_entry', positionId: POSITION_ID }],
    ...simOptions,
  });
  const baseUrl = await sim.start();
  const temp = makeTempDir(prefix);
  const dbPath = join(temp.path, 'aqara-cloud', 'tokens.db');
  const app = sim.apps[0];
  let store: TokenStore | undefined;
  const openStore = (): TokenStore => {
    store ??= TokenStore.open(dbPath);
    return store;
  };
  return {
    sim,
    baseUrl,
    app,
    dir: temp.path,
    dbPath,
    store: openStore,
    seedToken(configId = CONFIG_ID) {
      const token = sim.issueRefreshToken();
      openStore().write(configId, token, app.appId);
      return token;
    },
    storedToken(configId = CONFIG_ID) {
      return openStore().read(configId)?.refreshToken;
    },
    storedTokenValid(configId = CONFIG_ID) {
      const token = openStore().read(configId)?.refreshToken;
      return token !== undefined && sim.isRefreshTokenValid(token);
    },
    childArgs(configId = CONFIG_ID) {
      return [dbPath, baseUrl, app.appId, app.keyId, app.appKey, SCENE_ID, configId];
    },
    async close() {
      store?.close();
      await sim.stop();
      temp.remove();
    },
  };
}
