import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../../support/repo';

export { REPO_ROOT };

/**
 * The build under test: dist/ as `npm run build` wrote it. AQARA_BENCH_DIST points the bench at another
 * build (e.g. a copy with a proposed fix applied) so a change can be measured before it is made.
 */
export const DIST_DIR = process.env.AQARA_BENCH_DIST
  ? resolve(process.env.AQARA_BENCH_DIST)
  : join(REPO_ROOT, 'dist');
