#!/usr/bin/env node
import { dirname, join, resolve } from 'node:path';
import { AqaraClient } from '../lib/aqara/client';
import { isAqaraError } from '../lib/aqara/errors';
import { runScene } from '../lib/aqara/intents/scenes';
import type { Logger } from '../lib/logger';
import { TokenManager } from '../lib/tokens/manager';
import { logText, TokenStore } from '../lib/tokens/store';
import { parseArgs, USAGE, UsageError } from './args';
import { ACTION_SCENES, loadCliConfig } from './config-file';

/** Where the token may come from so that it need not sit in the process list or the shell history. */
export const REFRESH_TOKEN_ENV = 'AQARA_REFRESH_TOKEN';

const HOW_TO_GIVE_A_TOKEN =
  `To give aqara-test one: -refresh-token TOKEN, -refresh-token - (read from standard input), ` +
  `or the ${REFRESH_TOKEN_ENV} environment variable`;

/**
 * Warnings and errors go to stderr, each text once: the token manager logs a failed refresh and then
 * throws it, and main reports what was thrown. Routine lines would only be noise.
 */
class StderrReport implements Logger {
  private readonly written = new Set<string>();
  constructor(private readonly err: NodeJS.WritableStream) {}
  debug(): void {}
  info(): void {}
  warn(message: string): void {
    this.line('Warning', message);
  }
  error(message: string): void {
    this.line('Error', message);
  }
  private line(level: string, message: string): void {
    if (this.written.has(message)) return;
    this.written.add(message);
    this.err.write(`${level}: ${message}\n`);
  }
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  input.setEncoding('utf8');
  for await (const chunk of input) text += chunk as string;
  return text;
}

/** -refresh-token TOKEN, -refresh-token - (standard input), else the environment; undefined if none. */
async function givenRefreshToken(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadableStream,
): Promise<string | undefined> {
  if (flag === '-') return readAll(stdin);
  if (flag !== undefined) return flag;
  const fromEnv = env[REFRESH_TOKEN_ENV];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** Runs one of the TV scenes outside Node-RED, on the same token manager and database code. */
export async function main(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err.write(`Error: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  if (!args.config || !args.action) {
    err.write(`Error: -config and -action are required\n${USAGE}\n`);
    return 2;
  }
  // Own keys only: "-action toString" must not find Object.prototype.toString.
  const sceneName = Object.hasOwn(ACTION_SCENES, args.action) ? ACTION_SCENES[args.action] : undefined;
  if (!sceneName) {
    err.write(`Error: unknown action "${args.action}" - use pin, warn or off\n`);
    return 2;
  }

  let client: AqaraClient | undefined;
  let manager: TokenManager | undefined;
  let store: TokenStore | undefined;
  let exitCode: number;
  const report = new StderrReport(err);
  try {
    const config = loadCliConfig(args.config);
    for (const field of config.ignored) {
      err.write(
        `Warning: "${field}" in ${args.config} is ignored - tokens now come from the token database\n`,
      );
    }
    const sceneId = config.scenes[sceneName];
    if (!sceneId) throw new Error(`${args.config}: "aqara.scenes.${sceneName}" is missing`);

    client = new AqaraClient({
      baseUrl: config.baseUrl,
      appId: config.appId,
      keyId: config.keyId,
      appKey: config.appKey,
    });
    store = TokenStore.open(args.db ?? join(dirname(resolve(args.config)), 'aqara-cloud', 'tokens.db'));
    manager = new TokenManager({
      configId: args.configId ?? 'aqara-test',
      appId: config.appId,
      client,
      store,
      logger: report,
      // A one-shot run has nothing to keep alive.
      keepAliveMaxAgeMs: 0,
    });
    const given = await givenRefreshToken(args.refreshToken, env, stdin);
    if (given === undefined && args.configId !== undefined) checkConfigId(store, args.configId);
    if (given !== undefined) {
      await manager.pasteRefreshToken(given);
      out.write('Refresh token stored.\n');
    }
    const { requestId, result } = await runScene(manager, sceneId);
    out.write(`${JSON.stringify({ action: args.action, scene: sceneName, sceneId, requestId, result })}\n`);
    exitCode = 0;
  } catch (error) {
    // The log text: this user is at the terminal of the machine with the database, so the full path helps.
    report.error(logText(error));
    if (isAqaraError(error) && error.kind === 'not_configured') err.write(`${HOW_TO_GIVE_A_TOKEN}\n`);
    exitCode = 1;
  }
  // The process ends here: a rotated token still waiting to be written must get there first.
  if (manager) {
    await manager.idle();
    if (manager.hasUnsavedToken) {
      report.error('the rotated refresh token could not be saved; the stored one is dead');
      exitCode = 1;
    }
    manager.close();
  }
  client?.close();
  store?.close();
  return exitCode;
}

/**
 * A -config-id with no token while other ids have one was most likely mistyped: "no refresh token
 * configured" would send the user to paste a token they already have, so the stored ids are named.
 */
function checkConfigId(store: TokenStore, configId: string): void {
  if (store.read(configId)) return;
  const stored = store.configIds();
  if (stored.length === 0) return;
  throw new Error(
    `-config-id ${JSON.stringify(configId)} names no stored config in this token database; ` +
      `the stored ones are: ${stored.join(', ')}`,
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`Error: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
