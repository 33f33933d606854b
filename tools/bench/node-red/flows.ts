/**
 * The flows the Node-RED scenarios deploy: the package's nodes, and next to them the way people run
 * Aqara scenes today without a package — a function node that signs (Node 'crypto' through the
 * function node's `libs`, which Node-RED 4 allows for built-in modules with the default
 * functionExternalModules: true) followed by an `http request` node with keep-alive ("persist") on.
 * Both chains are driven by the same driver function, so the driver's own cost weighs on both alike.
 */

/** A node of flows.json: open-ended, as Node-RED's admin API takes it. */
export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The simulator app and scene the flows talk to. */
export interface FlowTarget {
  baseUrl: string;
  appId: string;
  keyId: string;
  appKey: string;
  sceneId: string;
  sceneName: string;
}

export const TAB_ID = 'bench-tab';
export const CONFIG_ID = 'bench-aqara-config';
export const THROUGHPUT_PATHS = { ours: '/bench/ours', baseline: '/bench/baseline' } as const;
export const ONCE_PATHS = { ours: '/bench/once-ours', baseline: '/bench/once-baseline' } as const;

const API_PATH = '/v3.0/open/api';

/**
 * A closed loop with a fixed window: the start request (it carries msg.req) sends `window` messages,
 * every message that comes back (done or failed) releases the next, and the last one answers the
 * start request. Node-RED's memory context hands back the same object, so `run` is mutated in place.
 */
const DRIVER_CODE = `
if (msg.req) {
  const previous = context.get('run');
  if (previous && previous.done < previous.n) {
    msg.statusCode = 409;
    msg.payload = { error: 'a run is still in progress' };
    return [null, msg];
  }
  if (msg.payload.token) flow.set('aqaraToken', msg.payload.token);
  const run = { n: msg.payload.n, sent: 0, done: 0, errors: 0, firstError: null, reply: msg };
  context.set('run', run);
  const first = [];
  while (run.sent < Math.min(msg.payload.window, run.n)) {
    run.sent += 1;
    first.push({ payload: run.sent });
  }
  return [first, null];
}
const run = context.get('run');
if (!run || run.done >= run.n) return null;
run.done += 1;
if (msg.error) {
  run.errors += 1;
  if (!run.firstError) run.firstError = String(msg.error.message);
}
if (run.done === run.n) {
  const reply = run.reply;
  run.reply = null;
  reply.payload = { n: run.n, errors: run.errors, firstError: run.firstError };
  return [null, reply];
}
if (run.sent < run.n) {
  run.sent += 1;
  return [{ payload: run.sent }, null];
}
return null;
`;

/** What a hand-written flow does before its http request node: nonce, time, md5 sign, headers, body. */
function signCode(target: FlowTarget): string {
  return `
const APP_ID = ${JSON.stringify(target.appId)};
const KEY_ID = ${JSON.stringify(target.keyId)};
const APP_KEY = ${JSON.stringify(target.appKey)};
const token = (msg.payload && msg.payload.token) || flow.get('aqaraToken');
const nonce = crypto.randomBytes(16).toString('hex');
const time = String(Date.now());
const text = 'Accesstoken=' + token + '&Appid=' + APP_ID + '&Keyid=' + KEY_ID + '&Nonce=' + nonce + '&Time=' + time + APP_KEY;
msg.headers = {
  'Content-Type': 'application/json',
  Accesstoken: token,
  Appid: APP_ID,
  Keyid: KEY_ID,
  Nonce: nonce,
  Time: time,
  Sign: crypto.createHash('md5').update(text.toLowerCase()).digest('hex'),
  Lang: 'en',
};
msg.payload = { intent: 'config.scene.run', data: { sceneId: ${JSON.stringify(target.sceneId)} } };
return msg;
`;
}

/** The hand-written flow's answer check, shaped like aqara-scene's output so both do the same work. */
function checkCode(target: FlowTarget): string {
  return `
const answer = msg.payload;
if (msg.statusCode !== 200 || !answer || typeof answer !== 'object' || answer.code !== 0) {
  node.error('Aqara scene run failed: ' + (answer && answer.code !== undefined ? 'code ' + answer.code : 'HTTP ' + msg.statusCode), msg);
  return null;
}
delete msg.headers;
msg.payload = { sceneId: ${JSON.stringify(target.sceneId)}, scene: ${JSON.stringify(target.sceneId)}, requestId: answer.requestId, result: answer.result };
return msg;
`;
}

/** A catch node's message becomes a 500 answer of the start request's http-in. */
const ERROR_REPLY_CODE = `
msg.statusCode = 500;
msg.payload = { error: msg.error && msg.error.message };
return msg;
`;

export function tab(): FlowNode {
  return { id: TAB_ID, type: 'tab', label: 'bench', disabled: false, info: '' };
}

/**
 * The aqara-config every bench flow uses. `rateLimit` left out keeps the package's default quota guard
 * (300 calls per 5 minutes per app), as a user's flow would; the throughput flow sets it to 0 (off):
 * the guard would stop it after 300 messages, and the hand-written baseline has none.
 */
export function configNode(target: FlowTarget, options: { rateLimit?: number } = {}): FlowNode {
  const node: FlowNode = {
    id: CONFIG_ID,
    type: 'aqara-config',
    name: 'bench',
    region: 'custom',
    baseUrl: target.baseUrl,
    appId: target.appId,
    keyId: target.keyId,
    scenes: { [target.sceneName]: target.sceneId },
    credentials: { appKey: target.appKey },
  };
  // The editor saves what was typed, as a string.
  if (options.rateLimit !== undefined) node.rateLimit = String(options.rateLimit);
  return node;
}

function position(x: number, y: number): { z: string; x: number; y: number } {
  return { z: TAB_ID, x, y };
}

interface FunctionFields {
  id: string;
  name: string;
  func: string;
  outputs?: number;
  libs?: { var: string; module: string }[];
}

/** A Function node; the fields these flows do not vary get the editor's defaults. */
function functionNode(
  { id, name, func, outputs = 1, libs = [] }: FunctionFields,
  at: ReturnType<typeof position>,
  wires: string[][],
): FlowNode {
  return {
    id,
    type: 'function',
    name,
    func,
    outputs,
    timeout: 0,
    noerr: 0,
    initialize: '',
    finalize: '',
    libs,
    ...at,
    wires,
  };
}

/** The package's chain: aqara-scene by name, resolved through the config's scenes map. */
function oursSceneNode(id: string, target: FlowTarget, wires: string[][], y: number): FlowNode {
  return {
    id,
    type: 'aqara-scene',
    name: '',
    config: CONFIG_ID,
    scene: target.sceneName,
    ...position(400, y),
    wires,
  };
}

/** The hand-written chain: sign -> http request -> check; returns its nodes, entered at `${prefix}-sign`. */
function handWrittenChain(prefix: string, target: FlowTarget, exitWires: string[][], y: number): FlowNode[] {
  return [
    functionNode(
      {
        id: `${prefix}-sign`,
        name: 'sign Aqara request',
        func: signCode(target),
        libs: [{ var: 'crypto', module: 'crypto' }],
      },
      position(400, y),
      [[`${prefix}-request`]],
    ),
    {
      id: `${prefix}-request`,
      type: 'http request',
      name: 'Aqara API',
      method: 'POST',
      ret: 'obj',
      paytoqs: 'ignore',
      url: `${target.baseUrl}${API_PATH}`,
      tls: '',
      persist: true,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      ...position(600, y),
      wires: [[`${prefix}-check`]],
    },
    functionNode(
      { id: `${prefix}-check`, name: 'check answer', func: checkCode(target) },
      position(800, y),
      exitWires,
    ),
  ];
}

function httpIn(id: string, url: string, next: string, y: number): FlowNode {
  return {
    id,
    type: 'http in',
    name: '',
    url,
    method: 'post',
    upload: false,
    swaggerDoc: '',
    ...position(120, y),
    wires: [[next]],
  };
}

function httpResponse(id: string, y: number): FlowNode {
  return {
    id,
    type: 'http response',
    name: '',
    statusCode: '',
    headers: {},
    ...position(1000, y),
    wires: [],
  };
}

function catchNode(id: string, scope: string[], next: string, y: number): FlowNode {
  return { id, type: 'catch', name: '', scope, uncaught: false, ...position(400, y), wires: [[next]] };
}

function driver(id: string, first: string, reply: string, y: number): FlowNode {
  return functionNode({ id, name: 'bench driver', func: DRIVER_CODE, outputs: 2 }, position(250, y), [
    [first],
    [reply],
  ]);
}

/** Both throughput chains on one tab, each behind its own http-in and driver; failures loop back via catch. */
export function throughputFlows(target: FlowTarget): FlowNode[] {
  return [
    tab(),
    configNode(target, { rateLimit: 0 }),
    httpIn('tp-ours-in', THROUGHPUT_PATHS.ours, 'tp-ours-driver', 60),
    driver('tp-ours-driver', 'tp-ours-scene', 'tp-ours-reply', 60),
    oursSceneNode('tp-ours-scene', target, [['tp-ours-driver']], 60),
    catchNode('tp-ours-catch', ['tp-ours-scene'], 'tp-ours-driver', 120),
    httpResponse('tp-ours-reply', 60),
    httpIn('tp-base-in', THROUGHPUT_PATHS.baseline, 'tp-base-driver', 200),
    driver('tp-base-driver', 'tp-base-sign', 'tp-base-reply', 200),
    ...handWrittenChain('tp-base', target, [['tp-base-driver']], 200),
    catchNode('tp-base-catch', ['tp-base-sign', 'tp-base-request', 'tp-base-check'], 'tp-base-driver', 260),
    httpResponse('tp-base-reply', 200),
  ];
}

/** One scene run per request, answered when done (200) or failed (500 via catch). */
function onceErrorReply(prefix: string, scope: string[], y: number): FlowNode[] {
  return [
    catchNode(`${prefix}-catch`, scope, `${prefix}-error`, y + 60),
    functionNode(
      { id: `${prefix}-error`, name: 'error reply', func: ERROR_REPLY_CODE },
      position(600, y + 60),
      [[`${prefix}-reply`]],
    ),
    httpResponse(`${prefix}-reply`, y),
  ];
}

/** What a user of the package deploys: a config and a scene node behind an http-in. */
export function onceOursFlows(target: FlowTarget): FlowNode[] {
  return [
    tab(),
    configNode(target),
    httpIn('once-ours-in', ONCE_PATHS.ours, 'once-ours-scene', 60),
    oursSceneNode('once-ours-scene', target, [['once-ours-reply']], 60),
    ...onceErrorReply('once-ours', ['once-ours-scene'], 60),
  ];
}

/** The same without the package: the hand-written chain behind an http-in. */
export function onceBaselineFlows(target: FlowTarget): FlowNode[] {
  return [
    tab(),
    httpIn('once-base-in', ONCE_PATHS.baseline, 'once-base-sign', 60),
    ...handWrittenChain('once-base', target, [['once-base-reply']], 60),
    ...onceErrorReply('once-base', ['once-base-sign', 'once-base-request', 'once-base-check'], 60),
  ];
}
