import { join, resolve } from 'node:path';

/**
 * The one definition of where the repository is, for the tools and the tests that start processes or
 * read built files: everything else is found from here.
 */
export const REPO_ROOT = resolve(__dirname, '..');
export const DIST_DIR = join(REPO_ROOT, 'dist');
export const PACKAGE_NAME = '@metron/node-red-aqara-cloud';
