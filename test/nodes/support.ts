/**
 * Shared set-up for the node tests: the Node-RED test helper with every node module of the package loaded from
 * src, a real Aqara simulator, a fresh token database per test, and a message catalog that resolves
 * keys the way Node-RED does (the helper's own RED._ returns the key unchanged).
 */
import { type EventEmitter, once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'node:test';
import helper from 'node-red-node-test-helper';
import { AqaraSimulator, DEFAULT_APP, DEFAULT_SCENES } from '../../simulator/server';
import { NODE_TYPES } from '../../src/nodes';
import { closeAllConfigRuntimes } from '../../src/runtime/config/config-registry';
import { resetHandOver } from '../../src/runtime/push/hand-over';
import { TokenStore } from '../../src/lib/tokens/store';

helper.init(require.resolve('node-red'));

export { helper };

const runtimeUtil = createRequire(require.resolve('node-red'))('@node-red/util') as {
  events: EventEmitter;
  hooks: unknown;
};
/** The runtime's event emitter, from the Node-RED the helper runs (the one it emits flows:started on). */
const runtimeEvents = runtimeUtil.events;
/**
 * The runtime's messaging hooks, which Node-RED's flows trigger: real Node-RED hands them to every
 * node module as RED.hooks, the helper's RED leaves them out.
 */
export const runtimeHooks = runtimeUtil.hooks;

/** How long new flows may take to start: generous, for a machine busy with other work. */
const FLOWS_START_TIMEOUT_MS = 30_000;

/**
 * A redeploy like helper.setFlows, which gives the new flows only 300 ms to start and fails after
 * that (a loaded machine takes longer): this waits for Node-RED's flows:started itself.
 */
export async function setFlows(
  flow: FlowNode[],
  type: 'full' | 'flows' | 'nodes',
  creds?: Record<string, Record<string, string>>,
): Promise<void> {
  const started = once(runtimeEvents, 'flows:started', {
    signal: AbortSignal.timeout(FLOWS_START_TIMEOUT_MS),
  });
  try {
    await helper.setFlows(flow, type, creds);
  } catch (error) {
    started.catch(() => undefined);
    // Only the helper's own 300 ms deadline is ignored: the wait below is the real one.
    if (!(error instanceof Error && error.message === 'timeout waiting event')) throw error;
  }
  await started;
}

export const LOCALES = join(__dirname, '../../nodes/locales/en-US');

type Catalog = Record<string, unknown>;

export function readCatalog(nodeFile: string): Catalog {
  return JSON.parse(readFileSync(join(LOCALES, `${nodeFile}.json`), 'utf8')) as Catalog;
}

/** Every key a module asked for that its own catalog lacks: Node-RED would show the bare key. */
export const missingCatalogKeys = new Set<string>();

export function lookUp(catalog: Catalog, key: string): string | undefined {
  let value: unknown = catalog;
  for (const part of key.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Catalog)[part];
  }
  return typeof value === 'string' ? value : undefined;
}

/** RED._ as Node-RED builds it for one node file: that file's catalog only, `__name__` placeholders. */
function translatorFor(nodeFile: string): (key: string, subs?: Record<string, string | number>) => string {
  const catalog = readCatalog(nodeFile);
  return (key, subs) => {
    const text = lookUp(catalog, key);
    if (text === undefined) {
      missingCatalogKeys.add(`${nodeFile}: ${key}`);
      return key;
    }
    return text.replace(/__(\w+)__/g, (whole, name: string) =>
      subs && Object.hasOwn(subs, name) ? String(subs[name]) : whole,
    );
  };
}

type NodeModule = (RED: never) => unknown;

function withCatalog(module: unknown, nodeFile: string): NodeModule {
  const load = module as (RED: object) => unknown;
  const _ = translatorFor(nodeFile);
  // The helper gives all modules one RED object; each module gets its own view with its own RED._.
  return (RED: object) =>
    load(
      Object.assign(Object.create(RED) as object, {
        _,
        hooks: (RED as { hooks?: unknown }).hooks ?? runtimeHooks,
      }),
    );
}

/** The node module of a type, from src: `module.exports = function (RED) {...}`. */
export function nodeModule(type: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by name from the one list of types
  return require(join(__dirname, '../../src/nodes', type));
}

export const NODES: NodeModule[] = NODE_TYPES.map((type) => withCatalog(nodeModule(type), type));

export const SCENES = Object.fromEntries(DEFAULT_SCENES.map((scene) => [scene.name, scene.sceneId]));
export const APP = DEFAULT_APP;

export interface Harness {
  sim: AqaraSimulator;
  baseUrl: string;
  dir: string;
  dbPath: string;
}

/**
 * As a process restart would: every config's runtime (managers, push hubs, device watches) and the
 * hand-over hooks are forgotten; what is durable (tokens, the push journal) stays.
 */
export async function forgetRuntimes(): Promise<void> {
  await closeAllConfigRuntimes();
  resetHandOver();
}

export async function startHarness(sim = new AqaraSimulator()): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'aqara-nodes-'));
  const dbPath = join(dir, 'tokens.db');
  helper.settings({ aqaraConfigDbPath: dbPath });
  const baseUrl = await sim.start();
  return { sim, baseUrl, dir, dbPath };
}

export async function stopHarness(h: Harness): Promise<void> {
  await helper.unload();
  // Managers close once idle; stopping the simulator ends any request a test left hanging.
  const closing = closeAllConfigRuntimes();
  await h.sim.stop();
  await closing;
  rmSync(h.dir, { recursive: true, force: true });
}

/**
 * A fresh harness for every test of the enclosing describe block: registers the beforeEach and
 * afterEach hooks and returns one Harness object whose fields are replaced before each test, so
 * tests and helpers can hold on to it.
 */
export function harnessPerTest(): Harness {
  const h = {} as Harness;
  beforeEach(async () => {
    Object.assign(h, await startHarness());
  });
  afterEach(async () => {
    await stopHarness(h);
  });
  return h;
}

export type FlowNode = { id: string; type: string; [key: string]: unknown };

export const TAB: FlowNode = { id: 'tab', type: 'tab', label: 'aqara tests' };

/** The config node under test, aimed at the simulator. */
export function configNode(h: Harness, overrides: Record<string, unknown> = {}): FlowNode {
  return {
    id: 'cfg',
    type: 'aqara-config',
    name: 'home',
    region: 'custom',
    baseUrl: h.baseUrl,
    appId: APP.appId,
    keyId: APP.keyId,
    scenes: { ...SCENES },
    ...overrides,
  };
}

export function credentials(appKey: string = APP.appKey, id = 'cfg'): Record<string, Record<string, string>> {
  return { [id]: { appKey } };
}

/**
 * A node placed on the test tab. Node-RED treats a node without x/y as a config node, so flow nodes
 * get a position like the editor would give them.
 */
export function onTab(n: FlowNode): FlowNode {
  return { z: TAB.id, x: 100, y: 100, wires: [], ...n };
}

/** A Catch node for the whole tab, wired to the helper node `caught`. */
export function catchToCaught(): FlowNode[] {
  return [
    onTab({ id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] }),
    onTab({ id: 'caught', type: 'helper' }),
  ];
}

/**
 * The config node and `nodes` on the test tab, with a helper node `out` and a Catch node wired to
 * `caught`.
 */
export function flowWith(h: Harness, nodes: FlowNode[], config: Record<string, unknown> = {}): FlowNode[] {
  return [
    TAB,
    configNode(h, config),
    ...nodes.map(onTab),
    onTab({ id: 'out', type: 'helper' }),
    ...catchToCaught(),
  ];
}

/** A scene node wired to a helper node `out`, and a Catch node wired to `caught`, all on one tab. */
export function sceneFlow(
  h: Harness,
  scene = 'tv_pin_entry',
  config: Record<string, unknown> = {},
): FlowNode[] {
  return flowWith(
    h,
    [{ id: 'scene', type: 'aqara-scene', name: '', config: 'cfg', scene, wires: [['out']] }],
    config,
  );
}

/** Stores a valid simulator refresh token for the config before the flow starts. */
export function seedRefreshToken(h: Harness, configId = 'cfg', appId: string = APP.appId): string {
  const token = h.sim.issueRefreshToken(appId);
  TokenStore.open(h.dbPath).write(configId, token, appId);
  return token;
}

export function node(id: string) {
  const found = helper.getNode(id);
  if (!found) throw new Error(`node ${id} is not deployed`);
  return found;
}

/** The next message a helper node receives. */
export function nextMessage(id: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
  const target = node(id);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no message reached ${id} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    target.on('input', (msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

export interface StatusShown {
  fill?: string;
  shape?: string;
  text?: string;
}

/** Every status one node has shown since the flow was loaded (the helper spies on Node.prototype.status). */
export function statuses(id: string): StatusShown[] {
  const target = node(id);
  return target.status
    .getCalls()
    .filter((call) => call.thisValue === target)
    .map((call) => call.args[0] as StatusShown);
}

export function lastStatus(id: string): StatusShown | undefined {
  return statuses(id).at(-1);
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the node's latest status has this text, and returns it. */
export async function statusBecomes(id: string, text: string, timeoutMs = 5000): Promise<StatusShown> {
  await waitFor(
    () => lastStatus(id)?.text === text,
    `status "${text}" on ${id} (last: ${JSON.stringify(lastStatus(id))})`,
    timeoutMs,
  );
  return lastStatus(id) as StatusShown;
}

/** Everything Node-RED logged since load(), as text, to search for secrets. */
export function loggedText(): string {
  return JSON.stringify(helper.log().args);
}

export function postToken(body: unknown, contentType = 'application/json') {
  const request = helper.request().post('/aqara/refresh-token').set('Content-Type', contentType);
  return typeof body === 'string' ? request.send(body) : request.send(JSON.stringify(body));
}

let httpNodeApp: RequestListener | undefined;
let httpNodeServer: Server | undefined;

/**
 * NODES, with the aqara-config module keeping the RED.httpNode app it is given: the test helper serves
 * only the admin app, and the push endpoint lives on httpNode.
 */
export const NODES_WITH_HTTP_NODE = [
  (RED: never) => {
    httpNodeApp = (RED as { httpNode: RequestListener }).httpNode;
    return NODES[0](RED);
  },
  ...NODES.slice(1),
];

/** Serves RED.httpNode (of NODES_WITH_HTTP_NODE) on a free port of 127.0.0.1; returns its base URL. */
export async function serveHttpNode(): Promise<string> {
  await stopHttpNode();
  const server = createServer(httpNodeApp);
  httpNodeServer = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops serving RED.httpNode; nothing to do when it is not served. */
export async function stopHttpNode(): Promise<void> {
  const closing = httpNodeServer;
  httpNodeServer = undefined;
  if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
}
