import { join } from 'node:path';
import { REPO_ROOT } from '../../support/repo';

/**
 * Where the demo keeps its state. Everything lives under the git-ignored `.demo/`, so `rm -rf .demo`
 * resets the demo completely and nothing in it can be committed by accident. AQARA_DEMO_DIR and the two
 * port variables (0 = any free port) let a test run the demo beside a real one.
 */

function portFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} is not a port: ${value}`);
  return port;
}

export { REPO_ROOT };
export const DEMO_DIR = process.env.AQARA_DEMO_DIR || join(REPO_ROOT, '.demo');
export const USER_DIR = join(DEMO_DIR, 'node-red');
export const FLOWS_FILE = join(USER_DIR, 'flows.json');
/** The simulator's tokens survive restarts, so the refresh token in the database stays valid. */
export const SIMULATOR_STATE_FILE = join(DEMO_DIR, 'simulator-state.json');
export const TOKEN_DB_FILE = join(DEMO_DIR, 'aqara-cloud', 'tokens.db');

export const HOST = '127.0.0.1';
export const NODE_RED_PORT = portFromEnv('AQARA_DEMO_NODE_RED_PORT', 1880);
export const SIMULATOR_PORT = portFromEnv('AQARA_DEMO_SIMULATOR_PORT', 8089);
