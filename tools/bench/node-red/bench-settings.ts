import type { NodeRedSettings } from '../../../support/node-red-process';
import type { UserDirOptions } from '../../../support/node-red';
import { DIST_DIR } from '../bench-paths';

/**
 * settings.js for every bench Node-RED: a fixed flows file name (Node-RED would otherwise derive it from
 * the host name) and a fixed credential secret (no generated-key warning, and credentials survive the
 * restarts of the start-up scenario); the rest stays at Node-RED's defaults.
 */
export const BENCH_SETTINGS: NodeRedSettings = {
  flowFile: 'flows.json',
  credentialSecret: 'aqara-bench-not-a-secret',
};

/** The build under test (dist/, or AQARA_BENCH_DIST) installed, or a bare Node-RED for the baseline. */
export function benchInstall(withPackage: boolean): UserDirOptions {
  return { install: withPackage ? 'built' : 'none', distDir: DIST_DIR, prefix: 'aqara-bench-red-' };
}
