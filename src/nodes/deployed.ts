import type { TokenManager } from '../lib/tokens/manager';
import type { TokenStatus } from '../lib/tokens/status';

/**
 * What the admin routes may do with a deployed aqara-config node. Only config nodes that are running
 * right now are listed, so the routes never act on a config the user has not deployed (or removed).
 */
export interface DeployedConfig {
  readonly id: string;
  readonly label: string;
  /** The token status (the admin route's JSON). */
  tokenStatus(): TokenStatus;
  /**
   * Stores a pasted refresh token, waiting a few seconds for another process's write lock; rejects with
   * ConfigProblemError when the config cannot be used.
   */
  setRefreshToken(token: string): Promise<{ updatedAt: Date }>;
  /** The config's token manager (for Aqara calls); throws ConfigProblemError when the config cannot be used. */
  tokenManager(): TokenManager;
}

const deployed = new Map<string, DeployedConfig>();

export function addDeployedConfig(config: DeployedConfig): void {
  deployed.set(config.id, config);
}

/** Only the instance that added itself is removed: a newer instance with the same id stays. */
export function removeDeployedConfig(config: DeployedConfig): void {
  if (deployed.get(config.id) === config) deployed.delete(config.id);
}

export function findDeployedConfig(id: string): DeployedConfig | undefined {
  return deployed.get(id);
}

export function deployedConfigs(): DeployedConfig[] {
  return [...deployed.values()];
}
