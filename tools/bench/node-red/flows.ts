/**
 * The flows the Node-RED scenarios deploy: the package's nodes, and next to them the way people run
 * Aqara scenes today without a package — a function node that signs (Node 'crypto' through the
 * function node's `libs`, which Node-RED 4 allows for built-in modules with the default
 * functionExternalModules: true) followed by an `http request` node with keep-alive ("persist") on.
 * Both chains are driven by the same driver function, so the driver's own cost weighs on both alike.
 */
import { configFlowNode } from '../../../support/flow-nodes';

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

/** The device and resources the device flows read. */
export interface DeviceTarget {
  did: string;
  resourceIds: string[];
}

export const TAB_ID = 'bench-tab';
export const CONFIG_ID = 'bench-aqara-config';
export const THROUGHPUT_PATHS = { ours: '/bench/ours', baseline: '/bench/baseline' } as const;
export const ONCE_PATHS = { ours: '/bench/once-ours', baseline: '/bench/once-baseline' } as const;
export const DEVICE_THROUGHPUT_PATHS = {
  ours: '/bench/read-ours',
  baseline: '/bench/read-baseline',
} as const;
/** One read per request, answered with the msg's topic and payload: how the bench checks both read the same. */
export const DEVICE_ONCE_PATHS = {
  ours: '/bench/read-once-ours',
  baseline: '/bench/read-once-baseline',
} as const;

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

/** The one call a hand-written chain makes: intent and data, as Aqara's envelope carries them. */
interface AqaraCall {
  intent: string;
  data: unknown;
}

/**
 * What a hand-written flow does before its http request node: nonce, time, md5 sign, headers, body.
 * Aqara's rule: md5 of the lowercased `Accesstoken=..&Appid=..&Keyid=..&Nonce=..&Time=..` followed by
 * the app key (the Accesstoken pair only when a token is sent).
 */
function signCode(target: FlowTarget, call: AqaraCall): string {
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
msg.payload = ${JSON.stringify(call)};
return msg;
`;
}

/** The hand-written flow's answer check, shaped like aqara-scene's output so both do the same work. */
function sceneCheckCode(target: FlowTarget): string {
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

/**
 * The hand-written read's answer, made into aqara-device-get's payload: resource id -> value, numbers
 * where the text is a plain decimal (what the package does for resources with a numeric range, which
 * every resource the bench reads has), and the did as the topic.
 */
function readParseCode(device: DeviceTarget): string {
  return `
const answer = msg.payload;
if (msg.statusCode !== 200 || !answer || typeof answer !== 'object' || answer.code !== 0 || !Array.isArray(answer.result)) {
  node.error('Aqara read failed: ' + (answer && answer.code !== undefined ? 'code ' + answer.code : 'HTTP ' + msg.statusCode), msg);
  return null;
}
const values = {};
for (const item of answer.result) {
  const value = item.value;
  values[item.resourceId] = /^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$/.test(value) ? Number(value) : value;
}
delete msg.headers;
msg.topic = ${JSON.stringify(device.did)};
msg.payload = values;
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
  return configFlowNode(CONFIG_ID, {
    ...target,
    name: 'bench',
    scenes: { [target.sceneName]: target.sceneId },
    // The editor saves what was typed, as a string.
    more: options.rateLimit === undefined ? {} : { rateLimit: String(options.rateLimit) },
  }) as FlowNode;
}

export function position(x: number, y: number): { z: string; x: number; y: number } {
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
export function functionNode(
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
export function oursSceneNode(id: string, target: FlowTarget, wires: string[][], y: number): FlowNode {
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

/** What a hand-written chain sends and how it reads the answer. */
interface HandWrittenCall {
  call: AqaraCall;
  check: { name: string; func: string };
}

function sceneCall(target: FlowTarget): HandWrittenCall {
  return {
    call: { intent: 'config.scene.run', data: { sceneId: target.sceneId } },
    check: { name: 'check answer', func: sceneCheckCode(target) },
  };
}

function readCall(device: DeviceTarget): HandWrittenCall {
  return {
    call: {
      intent: 'query.resource.value',
      data: { resources: [{ subjectId: device.did, resourceIds: device.resourceIds }] },
    },
    check: { name: 'parse values', func: readParseCode(device) },
  };
}

/** The hand-written chain: sign -> http request -> check; returns its nodes, entered at `${prefix}-sign`. */
function handWrittenChain(
  prefix: string,
  target: FlowTarget,
  exitWires: string[][],
  y: number,
  { call, check }: HandWrittenCall = sceneCall(target),
): FlowNode[] {
  return [
    functionNode(
      {
        id: `${prefix}-sign`,
        name: 'sign Aqara request',
        func: signCode(target, call),
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
    functionNode({ id: `${prefix}-check`, ...check }, position(800, y), exitWires),
  ];
}

export function httpIn(id: string, url: string, next: string, y: number): FlowNode {
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

export function httpResponse(id: string, y: number): FlowNode {
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

export function catchNode(id: string, scope: string[], next: string, y: number): FlowNode {
  return { id, type: 'catch', name: '', scope, uncaught: false, ...position(400, y), wires: [[next]] };
}

export function driver(id: string, first: string, reply: string, y: number): FlowNode {
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
export function onceErrorReply(prefix: string, scope: string[], y: number): FlowNode[] {
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

/** The package's read: aqara-device-get with the device and resources set in the node. */
function oursReadNode(id: string, device: DeviceTarget, wires: string[][], y: number): FlowNode {
  return {
    id,
    type: 'aqara-device-get',
    name: '',
    config: CONFIG_ID,
    device: device.did,
    resources: device.resourceIds,
    ...position(400, y),
    wires,
  };
}

/** Answers a one-read request with what the read made of the msg; nothing else of the msg goes back. */
const READ_REPLY_CODE = `
msg.payload = { topic: msg.topic, payload: msg.payload };
return msg;
`;

/**
 * Both read chains on one tab, as the scene throughput flows are (same driver, same catch loop), plus a
 * one-read path per side whose answer is the msg's topic and payload, for the bench to compare.
 */
export function deviceReadFlows(target: FlowTarget, device: DeviceTarget): FlowNode[] {
  const baselineScope = ['rd-base-sign', 'rd-base-request', 'rd-base-check'];
  const onceScope = ['rd1-base-sign', 'rd1-base-request', 'rd1-base-check'];
  const readReply = (id: string, y: number): FlowNode =>
    functionNode({ id, name: 'reply', func: READ_REPLY_CODE }, position(900, y), [[`${id}-http`]]);
  return [
    tab(),
    configNode(target, { rateLimit: 0 }),
    httpIn('rd-ours-in', DEVICE_THROUGHPUT_PATHS.ours, 'rd-ours-driver', 60),
    driver('rd-ours-driver', 'rd-ours-read', 'rd-ours-reply', 60),
    oursReadNode('rd-ours-read', device, [['rd-ours-driver']], 60),
    catchNode('rd-ours-catch', ['rd-ours-read'], 'rd-ours-driver', 120),
    httpResponse('rd-ours-reply', 60),
    httpIn('rd-base-in', DEVICE_THROUGHPUT_PATHS.baseline, 'rd-base-driver', 200),
    driver('rd-base-driver', 'rd-base-sign', 'rd-base-reply', 200),
    ...handWrittenChain('rd-base', target, [['rd-base-driver']], 200, readCall(device)),
    catchNode('rd-base-catch', baselineScope, 'rd-base-driver', 260),
    httpResponse('rd-base-reply', 200),
    httpIn('rd1-ours-in', DEVICE_ONCE_PATHS.ours, 'rd1-ours-read', 340),
    oursReadNode('rd1-ours-read', device, [['rd1-ours-ok']], 340),
    readReply('rd1-ours-ok', 340),
    ...onceErrorReply('rd1-ours', ['rd1-ours-read'], 340),
    httpResponse('rd1-ours-ok-http', 340),
    httpIn('rd1-base-in', DEVICE_ONCE_PATHS.baseline, 'rd1-base-sign', 480),
    ...handWrittenChain('rd1-base', target, [['rd1-base-ok']], 480, readCall(device)),
    readReply('rd1-base-ok', 480),
    ...onceErrorReply('rd1-base', onceScope, 480),
    httpResponse('rd1-base-ok-http', 480),
  ];
}
