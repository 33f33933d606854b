import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AqaraSimulator, type SimulatorScene } from '../../simulator/server';
import { TokenStore } from '../../src/lib/tokens/store';
import { NODE_TYPES } from '../../src/nodes';
import { PACKAGE_NAME, REPO_ROOT } from '../../support/repo';
import { NodeRedProcess, type NodeRedSettings } from '../../support/node-red-process';
import { assertNoSecrets } from '../helpers/secrets';
import { makeTempDir } from '../../support/temp-dir';

/**
 * What a user does: `npm pack`, `npm install <tarball>` in a fresh Node-RED user directory, start
 * Node-RED, deploy a flow, paste a refresh token, run a scene; then restart Node-RED and run again on the
 * rotated token it finds in the database. Only the packed files are exercised, so a missing `files`
 * entry, a broken `node-red` section or an unbuilt dist/ fails here and nowhere else.
 */

// better-sqlite3 is compiled from source during the install (no prebuilt binaries are reachable): on a
// loaded two-core machine that alone has taken over six minutes. A bound, not a wait.
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const STEP_TIMEOUT_MS = 90_000;

const CONFIG_ID = 'a1c0ffee00000001';
const SCENES: SimulatorScene[] = [
  { sceneId: 'AL.900000000000000001', name: 'tv_pin_entry', positionId: 'real1.home' },
  { sceneId: 'AL.900000000000000002', name: 'tv_warning', positionId: 'real1.home' },
  { sceneId: 'AL.900000000000000003', name: 'tv_power_off', positionId: 'real1.home' },
];
const SCENE_NAME = 'tv_warning';
const SCENE_ID = 'AL.900000000000000002';
const RUN_PATH = '/installed-test/run-scene';

interface CommandResult {
  code: number;
  output: string;
}

/** npm's own npm_* variables (local prefix, lifecycle event...) would leak this repo into the nested npm. */
function envWithoutNpm(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  // Under another Node.js (the compatibility run), npm must build better-sqlite3 for that Node.js.
  if (process.env.AQARA_NODE_BIN)
    env.PATH = `${dirname(process.env.AQARA_NODE_BIN)}${delimiter}${env.PATH ?? ''}`;
  if (process.env.AQARA_NODEDIR) env.npm_config_nodedir = process.env.AQARA_NODEDIR;
  return env;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolveRun) => {
    execFile(
      command,
      args,
      { cwd, env: envWithoutNpm(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolveRun({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

async function fetchJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (an error page): the raw text is more useful in the assertion message.
  }
  return { status: response.status, body };
}

function demoFlow(baseUrl: string, appId: string, keyId: string, appKey: string): unknown[] {
  const tab = 'a1c0ffee000000f0';
  return [
    { id: tab, type: 'tab', label: 'installed package test' },
    {
      id: CONFIG_ID,
      type: 'aqara-config',
      name: 'simulator',
      region: 'custom',
      baseUrl,
      appId,
      keyId,
      scenes: Object.fromEntries(SCENES.map((scene) => [scene.name, scene.sceneId])),
      // Sent once, as the editor does on deploy; Node-RED moves it into the encrypted flows_cred.json.
      credentials: { appKey },
    },
    {
      id: 'a1c0ffee00000010',
      type: 'http in',
      z: tab,
      url: RUN_PATH,
      method: 'post',
      upload: false,
      wires: [['a1c0ffee00000011']],
    },
    {
      id: 'a1c0ffee00000011',
      type: 'aqara-scene',
      z: tab,
      name: '',
      config: CONFIG_ID,
      scene: SCENE_NAME,
      wires: [['a1c0ffee00000012']],
    },
    { id: 'a1c0ffee00000012', type: 'http response', z: tab, statusCode: '', headers: {}, wires: [] },
    // A failed run answers 500 with the node's error text instead of leaving the request hanging.
    {
      id: 'a1c0ffee00000013',
      type: 'catch',
      z: tab,
      scope: ['a1c0ffee00000011'],
      uncaught: false,
      wires: [['a1c0ffee00000014']],
    },
    {
      id: 'a1c0ffee00000014',
      type: 'change',
      z: tab,
      rules: [
        { t: 'set', p: 'statusCode', pt: 'msg', to: '500', tot: 'num' },
        { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' },
      ],
      wires: [['a1c0ffee00000012']],
    },
  ];
}

describe(
  'the packed package installed into a real Node-RED',
  { timeout: INSTALL_TIMEOUT_MS + 6 * 60_000 },
  () => {
    const temp = makeTempDir('aqara-installed-');
    const packDir = join(temp.path, 'pack');
    const userDir = join(temp.path, 'node-red');
    const dbPath = join(userDir, 'aqara-cloud', 'tokens.db');
    // A random key, so finding it anywhere on disk or in the log can only mean a leak.
    const app = {
      appId: 'installed-app',
      keyId: 'K.installed',
      appKey: `key-${randomBytes(16).toString('hex')}`,
    };
    const sim = new AqaraSimulator({ apps: [app], scenes: SCENES });
    // Default credential handling, as a user would have it: Node-RED generates the key itself.
    const settings: NodeRedSettings = { flowFile: 'flows.json', logging: { console: { level: 'info' } } };
    const logs: string[] = [];
    const pastedTokens: string[] = [];
    let red: NodeRedProcess | undefined;
    let refreshesBeforeRestart = 0;

    async function startNodeRed(): Promise<NodeRedProcess> {
      red = await NodeRedProcess.start({ userDir, settings });
      return red;
    }

    async function stopNodeRed(): Promise<void> {
      if (!red) return;
      await red.stop();
      logs.push(...red.lines);
      red = undefined;
    }

    function current(): NodeRedProcess {
      assert.ok(red?.running, 'Node-RED is running');
      return red;
    }

    async function runScene(): Promise<{ status: number; body: unknown }> {
      return fetchJson(current().urlFor(RUN_PATH), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
    }

    async function tokenStatus(): Promise<Record<string, unknown>> {
      const { status, body } = await fetchJson(current().urlFor(`aqara/token-status?config=${CONFIG_ID}`));
      assert.equal(status, 200, JSON.stringify(body));
      assert.ok(typeof body === 'object' && body !== null);
      return body as Record<string, unknown>;
    }

    function assertSignedRun(before: number): void {
      const runs = sim.sceneRuns.slice(before);
      assert.equal(runs.length, 1, 'exactly one scene run reached the simulator');
      assert.equal(runs[0].sceneId, SCENE_ID);
      assert.equal(runs[0].appId, app.appId);
      const call = sim.calls.filter((entry) => entry.intent === 'config.scene.run').at(-1);
      assert.equal(call?.code, 0, 'the simulator accepted the signature and the access token');
    }

    before(
      async () => {
        await sim.start();
        mkdirSync(packDir);
        mkdirSync(userDir);

        // `npm test` has just built dist/. Letting prepack rebuild it here would delete dist/ under any
        // test file running in parallel that loads the built nodes, so the build is not repeated.
        assert.ok(
          existsSync(join(REPO_ROOT, 'dist', 'nodes', 'aqara-config.js')),
          'run `npm run build` first',
        );
        const pack = await run(
          'npm',
          ['pack', '--ignore-scripts', '--pack-destination', packDir],
          REPO_ROOT,
          3 * 60_000,
        );
        assert.equal(pack.code, 0, `npm pack failed:\n${tail(pack.output)}`);
        const tarballs = readdirSync(packDir).filter((file) => file.endsWith('.tgz'));
        assert.equal(tarballs.length, 1, `one tarball expected, got ${tarballs.join(', ')}`);

        writeFileSync(
          join(userDir, 'package.json'),
          JSON.stringify({
            name: 'node-red-project',
            description: 'test user dir',
            version: '0.0.1',
            private: true,
          }),
        );
        const install = await run(
          'npm',
          ['install', join(packDir, tarballs[0]), '--prefer-offline', '--no-audit', '--no-fund'],
          userDir,
          INSTALL_TIMEOUT_MS,
        );
        assert.equal(install.code, 0, `npm install of the tarball failed:\n${tail(install.output)}`);
      },
      { timeout: INSTALL_TIMEOUT_MS + 3 * 60_000 },
    );

    after(async () => {
      await stopNodeRed();
      await sim.stop();
      temp.remove();
    });

    it('installs the aqara-test command', { timeout: STEP_TIMEOUT_MS }, async () => {
      const bin = join(userDir, 'node_modules', '.bin', 'aqara-test');
      assert.ok(existsSync(bin), 'node_modules/.bin/aqara-test exists');
      const help = await run(bin, ['-help'], userDir, 30_000);
      assert.equal(help.code, 0, help.output);
    });

    it('registers every node type of NODE_TYPES', { timeout: STEP_TIMEOUT_MS }, async () => {
      const nodeRed = await startNodeRed();
      // The compatibility run names the release it installed, so a wrong Node-RED cannot pass silently.
      const expected = process.env.AQARA_EXPECT_NODE_RED;
      if (expected)
        assert.ok(nodeRed.output().includes(`Node-RED version: v${expected}`), `not Node-RED ${expected}`);
      const { status, body } = await fetchJson(nodeRed.urlFor('nodes'), {
        headers: { Accept: 'application/json' },
      });
      assert.equal(status, 200);
      assert.ok(Array.isArray(body));
      const sets = (
        body as Array<{ module?: string; types?: string[]; enabled?: boolean; err?: unknown }>
      ).filter((set) => set.module === PACKAGE_NAME);
      assert.deepEqual(sets.flatMap((set) => set.types ?? []).sort(), [...NODE_TYPES].sort());
      for (const set of sets) {
        assert.equal(set.enabled, true);
        assert.equal(set.err, undefined, `node set failed to load: ${String(set.err)}`);
      }
    });

    it(
      'serves the editor from nodes/ and resources/ of the package',
      { timeout: STEP_TIMEOUT_MS },
      async () => {
        const nodeRed = current();
        const page = await fetch(nodeRed.urlFor('nodes'), {
          headers: { Accept: 'text/html', 'Accept-Language': 'en-US' },
        });
        const html = await page.text();
        for (const type of NODE_TYPES) {
          assert.ok(html.includes(`RED.nodes.registerType('${type}'`), `${type} dialog`);
          // The help lives in nodes/locales/en-US/<type>.html; Node-RED puts it beside the dialog.
          assert.ok(html.includes(`data-help-name="${type}"`), `${type} help`);
        }
        assert.ok(html.includes('<p>Runs an Aqara Cloud scene.</p>'), 'the English help text');
        const script = await fetch(nodeRed.urlFor(`resources/${PACKAGE_NAME}/aqara-editor.js`));
        assert.equal(script.status, 200, 'the shared editor script is served');
        assert.match(await script.text(), /AqaraEditor/);
        const icon = await fetch(nodeRed.urlFor(`icons/${PACKAGE_NAME}/aqara-scene.svg`));
        assert.equal(icon.status, 200, 'the icon is served');
        await icon.arrayBuffer();
      },
    );

    it('runs a scene by name after a refresh token is pasted', { timeout: STEP_TIMEOUT_MS }, async () => {
      const nodeRed = current();
      const mark = nodeRed.mark();
      const deploy = await fetch(nodeRed.urlFor('flows'), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Node-RED-API-Version': 'v1',
          'Node-RED-Deployment-Type': 'full',
        },
        body: JSON.stringify(demoFlow(sim.baseUrl, app.appId, app.keyId, app.appKey)),
      });
      assert.equal(deploy.status, 204, await deploy.text());
      // The admin API answers before the new flows have started.
      await nodeRed.waitForLine(/\[info\] Started flows/, { since: mark });

      assert.equal((await tokenStatus()).configured, false);

      const refreshToken = sim.issueRefreshToken(app.appId);
      pastedTokens.push(refreshToken);
      const paste = await fetchJson(nodeRed.urlFor('aqara/refresh-token'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken, config: CONFIG_ID }),
      });
      assert.equal(paste.status, 200, JSON.stringify(paste.body));
      assert.equal((paste.body as { message?: unknown }).message, 'Refresh token updated successfully');

      const runsBefore = sim.sceneRuns.length;
      const result = await runScene();
      assert.equal(result.status, 200, JSON.stringify(result.body));
      const payload = result.body as Record<string, unknown>;
      assert.equal(payload.sceneId, SCENE_ID);
      assert.equal(payload.scene, SCENE_NAME);
      assert.equal(typeof payload.requestId, 'string');
      assertSignedRun(runsBefore);

      const status = await tokenStatus();
      assert.equal(status.configured, true);
      assert.equal(status.access_token_status, 'valid');
      refreshesBeforeRestart = sim.callCount('config.auth.refreshToken');
      assert.equal(refreshesBeforeRestart, 1);
      assert.equal(sim.isRefreshTokenValid(refreshToken), false, 'Aqara rotated the pasted token');
    });

    it(
      'after a restart, runs again on the rotated token from the database',
      { timeout: STEP_TIMEOUT_MS },
      async () => {
        await stopNodeRed();
        await startNodeRed();

        const runsBefore = sim.sceneRuns.length;
        const result = await runScene();
        assert.equal(result.status, 200, JSON.stringify(result.body));
        assertSignedRun(runsBefore);
        // The access token lived only in the old process's memory: one refresh, with the stored token.
        assert.equal(sim.callCount('config.auth.refreshToken'), refreshesBeforeRestart + 1);

        const status = await tokenStatus();
        assert.equal(status.configured, true);
        assert.equal(status.access_token_status, 'valid');

        assert.equal(statSync(dbPath).mode & 0o777, 0o600, 'token database is private to its owner');
        const store = TokenStore.open(dbPath);
        try {
          const stored = store.read(CONFIG_ID);
          assert.ok(stored, 'a token row for the config');
          assert.equal(stored.appId, app.appId);
          assert.equal(
            sim.isRefreshTokenValid(stored.refreshToken),
            true,
            'the stored token is the live one',
          );
          assert.ok(!pastedTokens.includes(stored.refreshToken), 'the stored token is a rotated one');
        } finally {
          store.close();
        }
      },
    );

    it('logs no errors in either Node-RED run', { timeout: STEP_TIMEOUT_MS }, async () => {
      await stopNodeRed();
      assert.deepEqual(
        logs.filter((line) => line.includes('[error]')),
        [],
      );
    });

    it(
      'keeps every secret out of flows.json, flows_cred.json and the log',
      { timeout: STEP_TIMEOUT_MS },
      async () => {
        await stopNodeRed();
        const flows = readFileSync(join(userDir, 'flows.json'), 'utf8');
        const credentials = readFileSync(join(userDir, 'flows_cred.json'), 'utf8');
        assert.ok(flows.includes(CONFIG_ID), 'flows.json holds the deployed flow');
        assert.match(credentials, /"\$"\s*:/, 'flows_cred.json is encrypted');

        const accessTokens = sim.calls.flatMap((call) => (call.accessToken ? [call.accessToken] : []));
        // Every refresh token ever sent (the pasted one and each rotation) plus the live one.
        const refreshTokens = sim.calls.flatMap((call) => {
          const data = call.data as { refreshToken?: unknown } | undefined;
          return call.intent === 'config.auth.refreshToken' && typeof data?.refreshToken === 'string'
            ? [data.refreshToken]
            : [];
        });
        assert.ok(accessTokens.length > 0, 'access tokens were used, so the check below means something');
        assert.ok(logs.length > 0, 'Node-RED output was captured');
        assertNoSecrets([flows, credentials, logs.join('\n')], {
          'app key': [app.appKey],
          'refresh token': [...new Set([...pastedTokens, ...refreshTokens, ...sim.currentRefreshTokens()])],
          'access token': [...new Set(accessTokens)],
        });
      },
    );
  },
);
