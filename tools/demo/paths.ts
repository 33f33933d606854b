import { join } from 'node:path';
import { REPO_ROOT } from '../lib/repo';

/**
 * Where the demo keeps its state. Everything lives under the git-ignored `.demo/`, so `rm -rf .demo`
 * resets the demo completely and nothing in it can be committed by accident.
 */

export { REPO_ROOT };
export const DEMO_DIR = join(REPO_ROOT, '.demo');
export const USER_DIR = join(DEMO_DIR, 'node-red');
export const SETTINGS_FILE = join(USER_DIR, 'settings.js');
export const FLOWS_FILE = join(USER_DIR, 'flows.json');
/** The simulator's tokens survive restarts, so the refresh token in the database stays valid. */
export const SIMULATOR_STATE_FILE = join(DEMO_DIR, 'simulator-state.json');
export const TOKEN_DB_FILE = join(DEMO_DIR, 'aqara-cloud', 'tokens.db');
export const NODE_RED_MAIN = join(REPO_ROOT, 'node_modules', 'node-red', 'red.js');

export const HOST = '127.0.0.1';
export const NODE_RED_PORT = 1880;
export const SIMULATOR_PORT = 8089;
