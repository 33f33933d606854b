// Node-RED finds a node's .html, locales/ and icons/ beside its .js, so the build puts the
// editor assets next to the compiled node modules in dist/nodes.
// The new build is assembled in dist.next and swapped in at the end, so a Node-RED or a test that
// loads dist/ while a build runs never sees a half-empty folder.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const next = 'dist.next';

rmSync(next, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', next], { stdio: 'inherit' });
cpSync('src/nodes', `${next}/nodes`, {
  recursive: true,
  filter: (source) => !source.endsWith('.ts'),
});
if (existsSync(`${next}/cli/aqara-test.js`)) chmodSync(`${next}/cli/aqara-test.js`, 0o755);
rmSync('dist', { recursive: true, force: true });
renameSync(next, 'dist');
