import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { defaultTokenDbPath } from '../../src/lib/tokens/store';
import { NODE_TYPES } from '../../src/nodes/node-types';
import { NodeRedProcess, type NodeRedSettings } from '../../test/helpers/node-red-process';
import { makeTempDir } from '../../test/helpers/temp-dir';
import { REPO_ROOT, sleep } from './child';

/**
 * A real Node-RED (its own process, via test/helpers/node-red-process.ts) with this package installed
 * in its user directory the way npm would put it there. The package is a COPY of dist/ taken once the
 * build is complete: other people rebuild (and so delete) dist/ in the same tree while the suite runs,
 * and a Node-RED loading half a build would fail for reasons that have nothing to do with the package.
 */

export const PACKAGE_NAME = '@metron/node-red-aqara-cloud';
const NODE_FILES = NODE_TYPES.map((name) => join('nodes', `${name}.js`));
const BUILD_WAIT_MS = 120_000;

export interface RedSession {
  red: NodeRedProcess;
  userDir: string;
  dbPath: string;
  close(): Promise<void>;
}

/** Copies the built package into `<userDir>/node_modules/@metron/node-red-aqara-cloud`. */
export async function installPackage(userDir: string): Promise<void> {
  const target = join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  const dist = join(REPO_ROOT, 'dist');
  const deadline = Date.now() + BUILD_WAIT_MS;
  for (;;) {
    try {
      if (NODE_FILES.every((file) => existsSync(join(dist, file)))) {
        rmSync(target, { recursive: true, force: true });
        mkdirSync(target, { recursive: true });
        cpSync(dist, join(target, 'dist'), { recursive: true });
        cpSync(join(REPO_ROOT, 'package.json'), join(target, 'package.json'));
        // Node-RED's view of the package (entry files, editor, locales, icons) and the editor script.
        for (const folder of ['nodes', 'resources']) {
          cpSync(join(REPO_ROOT, folder), join(target, folder), { recursive: true });
        }
        if (NODE_FILES.every((file) => existsSync(join(target, 'dist', file)))) break;
      }
    } catch {
      // A rebuild deleted files under our feet; the next round copies a complete build.
    }
    if (Date.now() > deadline) throw new Error('dist/ has no complete build: run `npm run build` first');
    await sleep(500);
  }
  // The runtime dependencies (better-sqlite3, axios) resolve from the repository's node_modules.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(target, 'node_modules'), 'dir');
}

export async function startNodeRed(
  settings: NodeRedSettings = {},
  prefix = 'aqara-reliability-red-',
): Promise<RedSession> {
  const temp = makeTempDir(prefix);
  await installPackage(temp.path);
  let red: NodeRedProcess;
  try {
    red = await NodeRedProcess.start({
      userDir: temp.path,
      settings: { flowFile: 'flows.json', ...settings },
    });
  } catch (error) {
    temp.remove();
    throw error;
  }
  return {
    red,
    userDir: temp.path,
    dbPath: defaultTokenDbPath(temp.path),
    async close() {
      await red.stop();
      temp.remove();
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpCall {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/**
 * Plain node:http rather than fetch: the hostile requests need exact control over bytes and headers
 * (no Content-Type at all, invalid UTF-8, a wrong charset), which fetch would "fix".
 */
export function httpRequest(url: string, call: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const body =
      call.body === undefined ? undefined : Buffer.isBuffer(call.body) ? call.body : Buffer.from(call.body);
    const headers: Record<string, string | number> = { ...call.headers };
    if (body !== undefined) headers['Content-Length'] = body.length;
    const request = http.request(url, { method: call.method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    request.setTimeout(call.timeoutMs ?? 30_000, () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
    request.end(body);
  });
}

export async function adminJson(
  session: RedSession,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const answer = await httpRequest(session.red.urlFor(path), {
    method,
    headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = answer.body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: answer.status, json, text };
}

/** A full deploy through the admin API, as the editor's Deploy button does; resolves once flows run. */
export async function deployFlows(
  session: RedSession,
  flows: readonly Record<string, unknown>[],
): Promise<void> {
  const mark = session.red.mark();
  const answer = await httpRequest(session.red.urlFor('flows'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify(flows),
  });
  if (answer.status >= 300)
    throw new Error(`deploy failed: HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`);
  await session.red.waitForLine(/\[info\] Started flows/, { since: mark, timeoutMs: 30_000 });
}

/** Presses an inject node's button. */
export async function pressInject(session: RedSession, id: string): Promise<void> {
  const answer = await httpRequest(session.red.urlFor(`inject/${id}`), { method: 'POST' });
  if (answer.status !== 200) throw new Error(`inject ${id}: HTTP ${answer.status}`);
}

/** An aqara-config node for flows.json, aimed at a simulator; the App Key goes in as a credential. */
export function configNode(
  id: string,
  options: {
    baseUrl: string;
    appId: string;
    keyId: string;
    appKey: string;
    name?: string;
    scenes?: Record<string, string>;
  },
): Record<string, unknown> {
  return {
    id,
    type: 'aqara-config',
    // Never the id itself: Node-RED reads a property equal to a config node's id as a dependency on it.
    name: options.name ?? 'aqara',
    region: 'custom',
    baseUrl: options.baseUrl,
    appId: options.appId,
    keyId: options.keyId,
    scenes: options.scenes ?? {},
    credentials: { appKey: options.appKey },
  };
}
