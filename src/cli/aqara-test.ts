#!/usr/bin/env node
import { dirname, join, resolve } from 'node:path';
import { AqaraClient } from '../lib/aqara/client';
import { runScene } from '../lib/aqara/intents/scenes';
import type { Logger } from '../lib/logger';
import { TokenManager } from '../lib/tokens/manager';
import { TokenStore } from '../lib/tokens/store';
import { parseArgs, USAGE, UsageError } from './args';
import { ACTION_SCENES, loadCliConfig } from './config-file';

/** Warnings and errors of the token manager go to stderr; its routine lines would only be noise. */
function stderrLogger(err: NodeJS.WritableStream): Logger {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => err.write(`Warning: ${message}\n`),
    error: (message) => err.write(`Error: ${message}\n`),
  };
}

/** Runs one of the TV scenes outside Node-RED, on the same token manager and database code. */
export async function main(
  argv: readonly string[],
  out = process.stdout,
  err = process.stderr,
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
      logger: stderrLogger(err),
      // A one-shot run has nothing to keep alive.
      keepAliveMaxAgeMs: 0,
    });
    if (args.refreshToken !== undefined) {
      manager.setRefreshToken(args.refreshToken);
      out.write('Refresh token stored.\n');
    }
    const { requestId, result } = await runScene(manager, sceneId);
    out.write(`${JSON.stringify({ action: args.action, scene: sceneName, sceneId, requestId, result })}\n`);
    exitCode = 0;
  } catch (error) {
    err.write(`Error: ${(error as Error).message}\n`);
    exitCode = 1;
  }
  // The process ends here: a rotated token still waiting to be written must get there first.
  if (manager) {
    await manager.idle();
    if (manager.hasUnsavedToken) {
      err.write('Error: the rotated refresh token could not be saved; the stored one is dead\n');
      exitCode = 1;
    }
    manager.close();
  }
  client?.close();
  store?.close();
  return exitCode;
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
