// Only TypeScript is built: Node-RED's view of the package (nodes/: entry files, .html, locales,
// icons) and the editor script (resources/) are shipped as they are in the repository.
// The new build is assembled in dist.next and swapped in at the end, so a Node-RED or a test that
// loads dist/ while a build runs never sees a half-empty folder.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const next = 'dist.next';

rmSync(next, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', next], { stdio: 'inherit' });
if (existsSync(`${next}/cli/aqara-test.js`)) chmodSync(`${next}/cli/aqara-test.js`, 0o755);
rmSync('dist', { recursive: true, force: true });
renameSync(next, 'dist');
