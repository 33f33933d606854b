import { join } from 'node:path';
import { AqaraClient } from '../../src/lib/aqara/client';
import type { Clock } from '../../src/lib/clock';
import { TokenManager, type TokenManagerOptions } from '../../src/lib/tokens/manager';
import { TokenStore } from '../../src/lib/tokens/store';
import { AqaraSimulator } from '../../simulator/server';
import type { SimulatorOptions } from '../../simulator/server';
import { CaptureLogger } from '../../support/capture-logger';
import { makeTempDir } from '../../support/temp-dir';

export interface Harness {
  sim: AqaraSimulator;
  store: TokenStore;
  dbPath: string;
  dir: string;
  logger: CaptureLogger;
  makeClient(timeoutMs?: number): AqaraClient;
  makeManager(overrides?: Partial<TokenManagerOptions>): TokenManager;
  /** Mints a refresh token on the simulator and stores it for configId as a person would. */
  seedToken(configId?: string): string;
  close(): Promise<void>;
}

export const CONFIG_ID = 'cfg-1';
export const SCENE_ID = 'AL.836646140352004096';
const POSITION_ID = 'real1.home';
const SCENE_DEFAULTS: SimulatorOptions = {
  positions: [{ positionId: POSITION_ID, positionName: 'Home' }],
  scenes: [{ sceneId: SCENE_ID, name: 'TV PIN entry', positionId: POSITION_ID }],
};

/** A real simulator, a real database in a temp folder, real clients: nothing of the protocol is mocked. */
export async function startHarness(
  simOptions: SimulatorOptions = {},
  clock?: Clock,
  /** The clock the client signs requests with: Aqara's idea of now, when it differs from the manager's. */
  clientClock?: Clock,
): Promise<Harness> {
  const sim = new AqaraSimulator({ ...SCENE_DEFAULTS, ...simOptions });
  const baseUrl = await sim.start();
  const temp = makeTempDir();
  const dbPath = join(temp.path, 'aqara-cloud', 'tokens.db');
  const store = TokenStore.open(dbPath);
  const logger = new CaptureLogger();
  const app = sim.apps[0];
  const clients: AqaraClient[] = [];
  const managers: TokenManager[] = [];
  const makeClient = (timeoutMs?: number): AqaraClient => {
    const client = new AqaraClient({
      baseUrl,
      appId: app.appId,
      keyId: app.keyId,
      appKey: app.appKey,
      timeoutMs,
      logger,
      now: clientClock ? () => clientClock.now() : undefined,
    });
    clients.push(client);
    return client;
  };
  return {
    sim,
    store,
    dbPath,
    dir: temp.path,
    logger,
    makeClient,
    makeManager(overrides = {}) {
      const manager = new TokenManager({
        configId: CONFIG_ID,
        appId: app.appId,
        client: overrides.client ?? makeClient(),
        store,
        logger,
        clock,
        refreshBackoffMs: 5,
        ...overrides,
      });
      managers.push(manager);
      return manager;
    },
    seedToken(configId = CONFIG_ID) {
      const token = sim.issueRefreshToken();
      store.write(configId, token, app.appId);
      return token;
    },
    async close() {
      managers.forEach((manager) => manager.close());
      clients.forEach((client) => client.close());
      store.close();
      await sim.stop();
      temp.remove();
    },
  };
}
