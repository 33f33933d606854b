import { SWITCH_DID } from '../../../simulator/devices';
import type { FlowNode } from './flows';

/**
 * The flows of the push measurements: an aqara-config with push on and polling off, an
 * aqara-device-in on one resource, and a sink that records the raw value of every message the flow
 * receives (each push carries a value of its own, so a value seen twice is a push emitted twice).
 * Next to it Node-RED's own `http in` -> `http response`, the least any HTTP endpoint in a flow costs.
 */

export const PUSH_CONFIG_ID = 'bench-push-config';
/** 43 characters of base64url, the length the editor makes (256 bits). */
export const PUSH_SECRET = 'B'.repeat(43);
export const PUSH_DID = SWITCH_DID;
export const PUSH_RESOURCE = '4.1.85';
export const PUSH_PATHS = {
  ours: `/aqara/push/${PUSH_CONFIG_ID}/${PUSH_SECRET}`,
  baseline: '/bench/push-baseline',
  count: '/bench/push-count',
} as const;

const TAB = 'bench-push-tab';

export interface PushFlowTarget {
  baseUrl: string;
  appId: string;
  keyId: string;
  appKey: string;
}

/** Counts in memory (the bench asks /bench/push-count), or appends to `file` synchronously (the reliability suite). */
function sinkCode(file: string | undefined): string {
  if (file !== undefined) {
    return `fs.appendFileSync(${JSON.stringify(file)}, String(msg.data && msg.data.raw) + '\\n');\nreturn null;`;
  }
  return `
const seen = context.get('seen') || {};
context.set('seen', seen);
const key = String(msg.data && msg.data.raw);
seen[key] = (seen[key] || 0) + 1;
context.set('received', (context.get('received') || 0) + 1);
return null;
`;
}

const COUNT_CODE = `
const sink = flow.get('sinkCounts');
msg.payload = sink ? sink() : { received: 0, seen: {} };
return msg;
`;

function node(fields: FlowNode, x: number, y: number): FlowNode {
  return { ...fields, z: TAB, x, y };
}

export function pushFlows(target: PushFlowTarget, options: { sinkFile?: string } = {}): FlowNode[] {
  const file = options.sinkFile;
  // The count route reads the sink's context through a function the sink publishes in flow context.
  const publish = `flow.set('sinkCounts', () => ({ received: context.get('received') || 0, seen: context.get('seen') || {} }));`;
  const flows: FlowNode[] = [
    { id: TAB, type: 'tab', label: 'push bench', disabled: false, info: '' },
    {
      id: PUSH_CONFIG_ID,
      type: 'aqara-config',
      name: 'push bench',
      region: 'custom',
      baseUrl: target.baseUrl,
      appId: target.appId,
      keyId: target.keyId,
      push: true,
      pollSeconds: '0',
      rateLimit: '0',
      credentials: { appKey: target.appKey, pushSecret: PUSH_SECRET },
    },
    node(
      {
        id: 'bench-push-in',
        type: 'aqara-device-in',
        name: '',
        config: PUSH_CONFIG_ID,
        device: PUSH_DID,
        resources: [PUSH_RESOURCE],
        wires: [['bench-push-sink']],
      },
      100,
      60,
    ),
    node(
      {
        id: 'bench-push-sink',
        type: 'function',
        name: 'sink',
        func: sinkCode(file),
        outputs: 0,
        timeout: 0,
        noerr: 0,
        initialize: file === undefined ? publish : '',
        finalize: '',
        libs: file === undefined ? [] : [{ var: 'fs', module: 'fs' }],
        wires: [],
      },
      300,
      60,
    ),
    node(
      {
        id: 'bench-push-base-in',
        type: 'http in',
        name: '',
        url: PUSH_PATHS.baseline,
        method: 'post',
        upload: false,
        swaggerDoc: '',
        wires: [['bench-push-base-reply']],
      },
      100,
      140,
    ),
    node(
      {
        id: 'bench-push-base-reply',
        type: 'http response',
        name: '',
        statusCode: '',
        headers: {},
        wires: [],
      },
      300,
      140,
    ),
  ];
  if (file === undefined) {
    flows.push(
      node(
        {
          id: 'bench-push-count-in',
          type: 'http in',
          name: '',
          url: PUSH_PATHS.count,
          method: 'get',
          upload: false,
          swaggerDoc: '',
          wires: [['bench-push-count']],
        },
        100,
        220,
      ),
      node(
        {
          id: 'bench-push-count',
          type: 'function',
          name: 'counts',
          func: COUNT_CODE,
          outputs: 1,
          timeout: 0,
          noerr: 0,
          initialize: '',
          finalize: '',
          libs: [],
          wires: [['bench-push-count-reply']],
        },
        300,
        220,
      ),
      node(
        {
          id: 'bench-push-count-reply',
          type: 'http response',
          name: '',
          statusCode: '',
          headers: {},
          wires: [],
        },
        500,
        220,
      ),
    );
  }
  return flows;
}
