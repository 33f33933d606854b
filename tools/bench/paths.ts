import { join, resolve } from 'node:path';

/** Everything the benchmarks load (the build, Node-RED, the simulator) is found from the repository root. */
export const REPO_ROOT = resolve(__dirname, '..');

/**
 * The build under test: dist/ as `npm run build` wrote it. AQARA_BENCH_DIST points the bench at another
 * build (e.g. a copy with a proposed fix applied) so a change can be measured before it is made.
 */
export const DIST_DIR = process.env.AQARA_BENCH_DIST
  ? resolve(process.env.AQARA_BENCH_DIST)
  : join(REPO_ROOT, 'dist');
