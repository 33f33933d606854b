import { existsSync } from 'node:fs';
import type { AqaraSimulator } from '../../simulator/server';
import { TokenStore } from '../../src/lib/tokens/store';
import type { NodeRedAdmin } from './admin-client';
import { TOKEN_DB_FILE } from './demo-paths';

/**
 * Makes sure the demo config holds a refresh token the simulator accepts, so the first click works.
 * A token already stored is kept (it is the rotated one the simulator persisted) unless the simulator
 * no longer knows it, e.g. after its state file was deleted: then a fresh one replaces it, stored
 * through the package's own admin route exactly as a user would paste one.
 */

export type TokenOutcome = 'kept' | 'stored' | 'replaced';

function storedToken(configId: string): string | undefined {
  if (!existsSync(TOKEN_DB_FILE)) return undefined;
  const store = TokenStore.open(TOKEN_DB_FILE);
  try {
    return store.read(configId)?.refreshToken;
  } finally {
    store.close();
  }
}

export async function ensureRefreshToken(
  admin: NodeRedAdmin,
  simulator: AqaraSimulator,
  configId: string,
  configured: boolean,
): Promise<TokenOutcome> {
  if (configured) {
    const token = storedToken(configId);
    if (token !== undefined && simulator.isRefreshTokenValid(token)) return 'kept';
  }
  await admin.storeRefreshToken(configId, simulator.issueRefreshToken());
  return configured ? 'replaced' : 'stored';
}
