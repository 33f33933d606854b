import { parseArgs } from 'node:util';
import { AqaraSimulator, DEFAULT_APP } from './server';
import type { ExpiresInFormat, SimulatorOptions, SimulatorScene } from './types';

const USAGE = `usage: node --import tsx simulator/cli.ts [options]
  --port N                  port to listen on (default 0: any free port)
  --host HOST               address to bind (default 127.0.0.1)
  --state-file PATH         keep tokens in this file across restarts
  --app-id ID --key-id ID --app-key KEY   the one app the simulator accepts
  --scenes JSON             {"name": "AL.id", ...} or [{"sceneId", "name", "positionId"?}, ...]
  --access-token-ttl SECS   access token lifetime (default 604800)
  --expires-in-format F     string | number | missing | garbage
  --no-rotate               refreshes keep the same refresh token
  --revoke-on-refresh       a refresh kills the access token obtained with the refresh token it used
  --issue-refresh-token     print a fresh refresh token as refresh_token=<token>`;

const EXPIRES_IN_FORMATS: readonly ExpiresInFormat[] = ['string', 'number', 'missing', 'garbage'];

class UsageError extends Error {}

function parseScenes(text: string): SimulatorScene[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('--scenes is not valid JSON');
  }
  // The object form matches the scenes map of an aqara-config node, so the demo can pass it as is.
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    return Object.entries(parsed).map(([name, sceneId]) => {
      if (typeof sceneId !== 'string') throw new UsageError(`--scenes: the id of ${name} must be a string`);
      return { sceneId, name, positionId: 'real1.home' };
    });
  }
  if (!Array.isArray(parsed)) throw new UsageError('--scenes must be a JSON object or array');
  return parsed.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) throw new UsageError('--scenes entries must be objects');
    const { sceneId, name, positionId } = entry as Record<string, unknown>;
    if (typeof sceneId !== 'string' || typeof name !== 'string') {
      throw new UsageError('--scenes entries need string sceneId and name');
    }
    return { sceneId, name, positionId: typeof positionId === 'string' ? positionId : 'real1.home' };
  });
}

function parseNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a non-negative integer`);
  return Number(text);
}

function readOptions(argv: string[]): { options: SimulatorOptions; port: number; issue: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'state-file': { type: 'string' },
      'app-id': { type: 'string' },
      'key-id': { type: 'string' },
      'app-key': { type: 'string' },
      scenes: { type: 'string' },
      'access-token-ttl': { type: 'string' },
      'expires-in-format': { type: 'string' },
      'no-rotate': { type: 'boolean' },
      'revoke-on-refresh': { type: 'boolean' },
      'issue-refresh-token': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const format = values['expires-in-format'];
  if (format !== undefined && !EXPIRES_IN_FORMATS.some((known) => known === format)) {
    throw new UsageError(`--expires-in-format must be one of ${EXPIRES_IN_FORMATS.join(', ')}`);
  }
  const options: SimulatorOptions = {
    apps: [
      {
        appId: values['app-id'] ?? DEFAULT_APP.appId,
        keyId: values['key-id'] ?? DEFAULT_APP.keyId,
        appKey: values['app-key'] ?? DEFAULT_APP.appKey,
      },
    ],
    host: values.host,
    stateFile: values['state-file'],
    scenes: values.scenes === undefined ? undefined : parseScenes(values.scenes),
    accessTokenTtlSeconds: parseNumber('--access-token-ttl', values['access-token-ttl']),
    expiresInFormat: format as ExpiresInFormat | undefined,
    rotateRefreshToken: values['no-rotate'] ? false : undefined,
    refreshRevokesAccessToken: values['revoke-on-refresh'] ? true : undefined,
  };
  const port = parseNumber('--port', values.port) ?? 0;
  return { options, port, issue: values['issue-refresh-token'] ?? false };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof readOptions>;
  try {
    parsed = readOptions(process.argv.slice(2));
  } catch (error) {
    // parseArgs and our own checks both describe the bad flag; neither message carries a value.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const simulator = new AqaraSimulator(parsed.options);
  const baseUrl = await simulator.start(parsed.port);
  process.stdout.write(`Aqara simulator listening on ${baseUrl}\n`);
  // Printed only on request: it is a live credential for this simulator.
  if (parsed.issue) process.stdout.write(`refresh_token=${simulator.issueRefreshToken()}\n`);

  const shutdown = (): void => {
    process.off('SIGINT', shutdown);
    process.off('SIGTERM', shutdown);
    void simulator.stop().then(() => {
      process.exitCode = 0;
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `simulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
