import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DIST_DIR } from './bench-paths';

/**
 * The package as it ships: the benchmarks time the JavaScript `npm run build` just wrote to dist/,
 * the same files Node-RED loads, rather than the TypeScript sources as tsx would transform them.
 * Types still come from src/, so a changed signature breaks the bench at type-check time.
 */

type ClientModule = typeof import('../../src/lib/aqara/client');
type ManagerModule = typeof import('../../src/lib/tokens/manager');
type StoreModule = typeof import('../../src/lib/tokens/store');
type ScenesModule = typeof import('../../src/lib/aqara/intents/scenes');
type DevicesModule = typeof import('../../src/lib/aqara/intents/device-service');
type PollModule = typeof import('../../src/lib/aqara/intents/resource-poll');

const loadFromDist = createRequire(join(DIST_DIR, 'index.js'));

function load<T>(relative: string): T {
  const file = join(DIST_DIR, relative);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  // The module's shape is the source's: dist is compiled from exactly those files.
  return loadFromDist(file) as T;
}

export interface CompiledPackage {
  AqaraClient: ClientModule['AqaraClient'];
  TokenManager: ManagerModule['TokenManager'];
  TokenStore: StoreModule['TokenStore'];
  runScene: ScenesModule['runScene'];
  DeviceService: DevicesModule['DeviceService'];
  ResourcePoller: PollModule['ResourcePoller'];
}

export function loadCompiledPackage(): CompiledPackage {
  const { AqaraClient } = load<ClientModule>('lib/aqara/client.js');
  const { TokenManager } = load<ManagerModule>('lib/tokens/manager.js');
  const { TokenStore } = load<StoreModule>('lib/tokens/store.js');
  const { runScene } = load<ScenesModule>('lib/aqara/intents/scenes.js');
  const { DeviceService } = load<DevicesModule>('lib/aqara/intents/device-service.js');
  const { ResourcePoller } = load<PollModule>('lib/aqara/intents/resource-poll.js');
  return { AqaraClient, TokenManager, TokenStore, runScene, DeviceService, ResourcePoller };
}
