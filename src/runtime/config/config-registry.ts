import type { TokenManager } from '../../lib/tokens/manager';
import { ConfigRuntime, type DeployedConfig } from './config-runtime';

/**
 * The one place that finds what this Node-RED holds per aqara-config id: one ConfigRuntime each,
 * made on first use and disposed when the config is removed from the flows.
 */
const runtimes = new Map<string, ConfigRuntime>();

export function configRuntime(configId: string): ConfigRuntime {
  let runtime = runtimes.get(configId);
  if (!runtime) {
    runtime = new ConfigRuntime(configId);
    runtimes.set(configId, runtime);
  }
  return runtime;
}

/** The runtime of a config this process has seen; none is made for a stranger's id. */
export function findConfigRuntime(configId: string): ConfigRuntime | undefined {
  return runtimes.get(configId);
}

/** A removed config: everything it held goes. Settles once its manager is closed. */
export function removeConfigRuntime(configId: string): Promise<void> {
  const runtime = runtimes.get(configId);
  if (!runtime) return Promise.resolve();
  runtimes.delete(configId);
  return runtime.remove();
}

export function findDeployedConfig(configId: string): DeployedConfig | undefined {
  return runtimes.get(configId)?.deployed;
}

export function deployedConfigs(): DeployedConfig[] {
  return [...runtimes.values()].flatMap((runtime) => (runtime.deployed ? [runtime.deployed] : []));
}

/** The live manager of a config id, if any: tests use it to prove a redeploy kept it. */
export function managerOf(configId: string): TokenManager | undefined {
  return runtimes.get(configId)?.tokens.manager;
}

/**
 * Forgets every runtime as if the process stopped (durable state stays), e.g. when a test's Node-RED
 * is torn down. Settles once every manager is closed.
 */
export async function closeAllConfigRuntimes(): Promise<void> {
  const closing = [...runtimes.values()].map((runtime) => runtime.close());
  runtimes.clear();
  await Promise.all(closing);
}
