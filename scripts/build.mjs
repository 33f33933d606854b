// Node-RED finds a node's .html, locales/ and icons/ beside its .js, so the build puts the
// editor assets next to the compiled node modules in dist/nodes.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
cpSync('src/nodes', 'dist/nodes', {
  recursive: true,
  filter: (source) => !source.endsWith('.ts'),
});
if (existsSync('dist/cli/aqara-test.js')) chmodSync('dist/cli/aqara-test.js', 0o755);
