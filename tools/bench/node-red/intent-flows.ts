import {
  catchNode,
  CONFIG_ID,
  configNode,
  driver,
  type FlowNode,
  type FlowTarget,
  httpIn,
  httpResponse,
  onceErrorReply,
  oursSceneNode,
  position,
  tab,
} from './flows';

/**
 * The flows of the IR / automation / aqara-api scenario, built from the scene throughput flows'
 * pieces (flows.ts): aqara-api running config.scene.run against aqara-scene behind the same driver,
 * and one-request paths that press a remote's key, change an air conditioner and switch an automation.
 */

export const API_THROUGHPUT_PATHS = { api: '/bench/api-scene', scene: '/bench/scene-beside-api' } as const;
export const ONE_CALL_PATHS = {
  key: '/bench/ir-key',
  ac: '/bench/ir-ac',
  automation: '/bench/automation',
} as const;

/** The remotes, and an automation, of the simulator's default account. */
export interface IntentTargets {
  tvRemote: string;
  acRemote: string;
  automation: string;
}

/**
 * msg.payload = {sceneId}: aqara-api's data for config.scene.run. Both throughput chains have it, so
 * both do the same work; aqara-scene ignores the payload and runs its own scene (the same id).
 */
function sceneData(id: string, target: FlowTarget, next: string, y: number): FlowNode {
  return {
    id,
    type: 'change',
    name: 'scene data',
    rules: [
      {
        t: 'set',
        p: 'payload',
        pt: 'msg',
        to: JSON.stringify({ sceneId: target.sceneId }),
        tot: 'json',
      },
    ],
    action: '',
    property: '',
    from: '',
    to: '',
    reg: false,
    ...position(330, y),
    wires: [[next]],
  };
}

/** msg.payload.value -> msg.payload: an http-in body is an object, a key name or "on" is not. */
function unwrap(id: string, next: string, y: number): FlowNode {
  return {
    id,
    type: 'change',
    name: 'payload.value',
    rules: [{ t: 'move', p: 'payload.value', pt: 'msg', to: 'payload', tot: 'msg' }],
    action: '',
    property: '',
    from: '',
    to: '',
    reg: false,
    ...position(300, y),
    wires: [[next]],
  };
}

export function intentFlows(target: FlowTarget, targets: IntentTargets): FlowNode[] {
  const node = (id: string, fields: Record<string, unknown>, y: number): FlowNode => ({
    id,
    config: CONFIG_ID,
    name: '',
    ...fields,
    type: String(fields.type),
    ...position(550, y),
    wires: [[`${id.replace(/-node$/, '')}-reply`]],
  });
  return [
    tab(),
    // The quota guard off, as in the scene throughput flows: it would stop the run after 300 calls.
    configNode(target, { rateLimit: 0 }),
    httpIn('as-api-in', API_THROUGHPUT_PATHS.api, 'as-api-driver', 60),
    driver('as-api-driver', 'as-api-data', 'as-api-reply', 60),
    sceneData('as-api-data', target, 'as-api-node', 60),
    {
      id: 'as-api-node',
      type: 'aqara-api',
      name: '',
      config: CONFIG_ID,
      intent: 'config.scene.run',
      ...position(550, 60),
      wires: [['as-api-driver']],
    },
    catchNode('as-api-catch', ['as-api-data', 'as-api-node'], 'as-api-driver', 120),
    httpResponse('as-api-reply', 60),
    httpIn('as-scene-in', API_THROUGHPUT_PATHS.scene, 'as-scene-driver', 200),
    driver('as-scene-driver', 'as-scene-data', 'as-scene-reply', 200),
    sceneData('as-scene-data', target, 'as-scene-node', 200),
    oursSceneNode('as-scene-node', target, [['as-scene-driver']], 200),
    catchNode('as-scene-catch', ['as-scene-data', 'as-scene-node'], 'as-scene-driver', 260),
    httpResponse('as-scene-reply', 200),
    httpIn('key-in', ONE_CALL_PATHS.key, 'key-value', 340),
    unwrap('key-value', 'key-node', 340),
    node('key-node', { type: 'aqara-ir', device: targets.tvRemote, key: '' }, 340),
    ...onceErrorReply('key', ['key-value', 'key-node'], 340),
    httpIn('ac-in', ONE_CALL_PATHS.ac, 'ac-node', 480),
    node('ac-node', { type: 'aqara-ir', device: targets.acRemote, key: '' }, 480),
    ...onceErrorReply('ac', ['ac-node'], 480),
    httpIn('automation-in', ONE_CALL_PATHS.automation, 'automation-value', 620),
    unwrap('automation-value', 'automation-node', 620),
    node('automation-node', { type: 'aqara-automation', automation: targets.automation }, 620),
    ...onceErrorReply('automation', ['automation-value', 'automation-node'], 620),
  ];
}
