import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AqaraSimulator } from '../../simulator/server';
import { REFRESH_TOKEN_EXPIRED_MESSAGE, NO_REFRESH_TOKEN_MESSAGE } from '../../src/lib/tokens/messages';
import { TokenStore } from '../../src/lib/tokens/store';
import { assertNoSecrets } from '../helpers/secrets';
import { makeTempDir } from '../../support/temp-dir';

const CLI = join(__dirname, '..', '..', 'src', 'cli', 'aqara-test.ts');
const SCENES = { tv_pin_entry: 'AL.1001', tv_warning: 'AL.1002', tv_power_off: 'AL.1003' };

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

interface CliInput {
  /** Added to this process's environment, from which any AQARA_REFRESH_TOKEN is removed. */
  env?: Record<string, string>;
  /** Written to the tool's standard input, which is then closed. */
  stdin?: string;
}

function cli(args: string[], input: CliInput = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...input.env };
  if (!input.env?.AQARA_REFRESH_TOKEN) delete env.AQARA_REFRESH_TOKEN;
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { timeout: 30_000, env },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input.stdin ?? '');
  });
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('aqara-test command-line tool', () => {
  const temp = makeTempDir();
  const sim = new AqaraSimulator({
    positions: [{ positionId: 'real1.home', positionName: 'Home' }],
    scenes: Object.entries(SCENES).map(([name, sceneId]) => ({ sceneId, name, positionId: 'real1.home' })),
  });
  const configPath = join(temp.path, 'config.json');
  const dbPath = join(temp.path, 'db', 'tokens.db');
  const outputs: string[] = [];

  before(async () => {
    const baseUrl = await sim.start();
    const app = sim.apps[0];
    const aqara = {
      app_id: app.appId,
      app_key: app.appKey,
      key_id: app.keyId,
      base_url: baseUrl,
      scenes: SCENES,
    };
    writeFileSync(
      configPath,
      JSON.stringify({ aqara: { ...aqara, access_token: 'old-access-token-from-config' } }),
    );
  });
  after(async () => {
    await sim.stop();
    temp.remove();
  });

  async function record(args: string[], input?: CliInput): Promise<CliRun> {
    const result = await cli(args, input);
    outputs.push(result.stdout, result.stderr);
    return result;
  }

  it('fails with the contract text when no refresh token is stored', async () => {
    const result = await record(['-config', configPath, '-action', 'pin', '-db', dbPath]);
    assert.equal(result.code, 1);
    assert.ok(result.stderr.includes(NO_REFRESH_TOKEN_MESSAGE));
  });

  it('stores a given refresh token first, runs the pin scene and warns about access_token', async () => {
    const token = sim.issueRefreshToken();
    const result = await record([
      '-config',
      configPath,
      '-action',
      'pin',
      '-refresh-token',
      token,
      '-db',
      dbPath,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /"access_token" in .* is ignored/);
    const printed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
    assert.equal(printed.sceneId, SCENES.tv_pin_entry);
    assert.equal(printed.scene, 'tv_pin_entry');
    assert.equal(sim.sceneRuns.at(-1)?.sceneId, SCENES.tv_pin_entry);
    assert.equal(sim.isRefreshTokenValid(token), false, 'rotated');
  });

  it('uses the rotated token from the database on the next run, with -- style flags', async () => {
    for (const [action, sceneId] of [
      ['warn', SCENES.tv_warning],
      ['off', SCENES.tv_power_off],
    ]) {
      const result = await record([`--config=${configPath}`, '--action', action, '--db', dbPath]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(sim.sceneRuns.at(-1)?.sceneId, sceneId);
    }
    const store = TokenStore.open(dbPath);
    assert.equal(sim.isRefreshTokenValid(store.read('aqara-test')!.refreshToken), true);
    store.close();
  });

  it('refuses a blank refresh token and keeps the stored one', async () => {
    const store = TokenStore.open(dbPath);
    const before = store.read('aqara-test')!.refreshToken;
    const result = await record([
      '-config',
      configPath,
      '-action',
      'pin',
      '-refresh-token',
      ' ',
      '-db',
      dbPath,
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /not stored: refresh_token must not be empty/);
    assert.equal(store.read('aqara-test')!.refreshToken, before);
    store.close();
  });

  it('does not take Object.prototype names for actions', async () => {
    const result = await record(['-config', configPath, '-action', 'toString', '-db', dbPath]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown action "toString"/);
  });

  it('reports a dead refresh token with the contract text', async () => {
    const store = TokenStore.open(dbPath);
    sim.expireRefreshToken(store.read('aqara-test')!.refreshToken);
    store.close();
    const result = await record(['-config', configPath, '-action', 'pin', '-db', dbPath]);
    assert.equal(result.code, 1);
    assert.ok(result.stderr.includes(REFRESH_TOKEN_EXPIRED_MESSAGE));
  });

  it('rejects bad usage with a clear message', async () => {
    assert.equal((await record(['-config', configPath, '-action', 'dance'])).code, 2);
    assert.match((await record(['-action', 'pin'])).stderr, /-config and -action are required/);
    assert.match((await record(['-bogus', 'x'])).stderr, /unknown flag -bogus/);
    const missing = await record(['-config', join(temp.path, 'nope.json'), '-action', 'pin']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*nope\.json \(ENOENT\)/);
    assert.equal((await record(['-help'])).code, 0);
  });

  it('prints the no-token error once, in the contract words, and says how to give the tool a token', async () => {
    const result = await record([
      '-config',
      configPath,
      '-action',
      'pin',
      '-db',
      join(temp.path, 'empty', 'tokens.db'),
    ]);
    assert.equal(result.code, 1);
    assert.equal(occurrences(result.stderr, NO_REFRESH_TOKEN_MESSAGE), 1, result.stderr);
    assert.equal(occurrences(result.stderr, 'Error:'), 1, result.stderr);
    assert.match(result.stderr, /-refresh-token TOKEN, -refresh-token - \(read from standard input\)/);
    assert.match(result.stderr, /AQARA_REFRESH_TOKEN environment variable/);
  });

  it('a mistyped -config-id says it names no stored config and lists the stored ids', async () => {
    const db = join(temp.path, 'two-configs', 'tokens.db');
    const store = TokenStore.open(db);
    store.write('a1b2c3d4e5f60001', sim.issueRefreshToken(), sim.apps[0].appId);
    store.write('a1b2c3d4e5f60002', sim.issueRefreshToken(), sim.apps[0].appId);
    store.close();
    const result = await record([
      '-config',
      configPath,
      '-action',
      'pin',
      '-db',
      db,
      '-config-id',
      'a1b2c3d4e5f6000',
    ]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /-config-id "a1b2c3d4e5f6000" names no stored config in this token database; the stored ones are: a1b2c3d4e5f60001, a1b2c3d4e5f60002/,
    );
    assert.equal(occurrences(result.stderr, NO_REFRESH_TOKEN_MESSAGE), 0, result.stderr);
    assert.equal(occurrences(result.stderr, 'Error:'), 1, result.stderr);
  });

  it('prints a dead refresh token error once', async () => {
    const db = join(temp.path, 'dead', 'tokens.db');
    const token = sim.issueRefreshToken();
    const store = TokenStore.open(db);
    store.write('aqara-test', token, sim.apps[0].appId);
    store.close();
    sim.expireRefreshToken(token);
    const result = await record(['-config', configPath, '-action', 'pin', '-db', db]);
    assert.equal(result.code, 1);
    assert.equal(occurrences(result.stderr, REFRESH_TOKEN_EXPIRED_MESSAGE), 1, result.stderr);
  });

  it('takes the refresh token from AQARA_REFRESH_TOKEN, so it is not in the process list', async () => {
    const token = sim.issueRefreshToken();
    const db = join(temp.path, 'from-env', 'tokens.db');
    const result = await record(['-config', configPath, '-action', 'warn', '-db', db], {
      env: { AQARA_REFRESH_TOKEN: token },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(sim.refreshTokenUseCount(token), 1);
    assert.equal(sim.sceneRuns.at(-1)?.sceneId, SCENES.tv_warning);
  });

  it('takes the refresh token from standard input with -refresh-token -', async () => {
    const token = sim.issueRefreshToken();
    const db = join(temp.path, 'from-stdin', 'tokens.db');
    const result = await record(['-config', configPath, '-action', 'off', '-refresh-token', '-', '-db', db], {
      stdin: `${token}\n`,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(sim.refreshTokenUseCount(token), 1);
    const store = TokenStore.open(db);
    assert.equal(sim.isRefreshTokenValid(store.read('aqara-test')!.refreshToken), true);
    store.close();
  });

  it('never prints a secret', () => {
    const app = sim.apps[0];
    const accessTokens = sim.calls.map((call) => call.accessToken).filter((t): t is string => !!t);
    const refreshTokens = sim.calls
      .filter((call) => call.intent === 'config.auth.refreshToken')
      .map((call) => (call.data as { refreshToken: string }).refreshToken);
    assert.ok(accessTokens.length > 0 && refreshTokens.length > 0);
    assertNoSecrets(outputs, {
      'app key': [app.appKey],
      'access token': accessTokens,
      'refresh token': refreshTokens,
    });
  });
});
