import { AC_REMOTE_DID, SENSOR_DID, SWITCH_DID, TV_REMOTE_DID } from '../../simulator/devices';
import type { SimulatorApp, SimulatorScene } from '../../simulator/server';
import { type FlowRow, layOutRows, type UnplacedNode } from '../../support/flow-layout';
import { TOKEN_DB_FILE } from './demo-paths';

/**
 * The demo flow: one aqara-config aimed at the local simulator and one row per thing the package does,
 * each a small story (a comment, then its nodes: inject -> Aqara node -> debug). The rows are laid out
 * by support/flow-layout.ts from their labels, so a row added here needs no coordinates. Ids are fixed
 * and readable so later runs can find the config node again.
 */

export interface FlowNode {
  id: string;
  type: string;
  [property: string]: unknown;
}

export const DEMO_TAB_ID = 'aqara-demo-tab';
export const DEMO_CONFIG_ID = 'aqara-demo-config';

/** Polled this often, so a switch turned in the demo shows up in its events row soon. */
const DEMO_POLL_SECONDS = 10;

const SCENES: ReadonlyArray<{ key: string; label: string; scene: string }> = [
  { key: 'pin', label: 'PIN entry', scene: 'tv_pin_entry' },
  { key: 'warn', label: 'Warning', scene: 'tv_warning' },
  { key: 'off', label: 'Power off', scene: 'tv_power_off' },
];

type Wired = UnplacedNode & { wires: string[][] };

/** A timestamp when `payload` is left out; a string, a boolean or JSON otherwise. */
function inject(id: string, name: string, target: string, payload?: boolean | string | object): Wired {
  return {
    id,
    type: 'inject',
    z: DEMO_TAB_ID,
    name,
    props: [{ p: 'payload' }],
    repeat: '',
    crontab: '',
    once: false,
    onceDelay: 0.1,
    topic: '',
    payload:
      payload === undefined ? '' : typeof payload === 'object' ? JSON.stringify(payload) : String(payload),
    payloadType:
      payload === undefined
        ? 'date'
        : typeof payload === 'object'
          ? 'json'
          : typeof payload === 'string'
            ? 'str'
            : 'bool',
    wires: [[target]],
  };
}

/** Also printed to Node-RED's console, so the terminal shows each result as well as the sidebar. */
function debug(id: string, name: string, property = 'payload'): Wired {
  return {
    id,
    type: 'debug',
    z: DEMO_TAB_ID,
    name,
    active: true,
    tosidebar: true,
    console: true,
    tostatus: false,
    complete: property,
    targetType: 'msg',
    wires: [],
  };
}

function comment(id: string, name: string, info = ''): UnplacedNode {
  return { id, type: 'comment', z: DEMO_TAB_ID, name, info, wires: [] };
}

/** An Aqara flow node of the demo's config, wired to `to`. */
function aqara(id: string, type: string, name: string, to: string[], properties: object = {}): Wired {
  return { id, type, z: DEMO_TAB_ID, name, config: DEMO_CONFIG_ID, ...properties, wires: [to] };
}

function explanation(simulatorUrl: string): string {
  return [
    `This flow talks to a local **Aqara simulator** (${simulatorUrl}) that \`npm start\` runs, not to Aqara's cloud.`,
    '',
    '- Each row below is one thing the package does; its comment says what to click and what to look at.',
    '- Click the button on the left of an inject node: the result appears in the Debug sidebar and in',
    '  the terminal.',
    `- The refresh token is not in this flow: it lives in the token database (${TOKEN_DB_FILE}).`,
    '  `npm start` stored one from the simulator for you. Replace it in the *Aqara simulator* config node',
    '  or with `POST /aqara/refresh-token`.',
    '- Every refresh rotates the token and the simulator remembers it, so restarting `npm start` keeps working.',
    '- To talk to your real Aqara account, set the config node\u2019s region, App ID, Key ID and App Key,',
    '  and paste your refresh token there.',
    '- To reset the demo: stop it, delete the `.demo` folder, run `npm start` again.',
  ].join('\n');
}

/**
 * The rows of the demo, top to bottom. A new node type gets a row here: a comment that tells its story
 * in a line, and its nodes.
 */
function demoRows(simulatorUrl: string): FlowRow[] {
  return [
    {
      comment: comment(
        'aqara-demo-readme',
        'Aqara Cloud demo: click the button of an inject node (open this comment for details)',
        explanation(simulatorUrl),
      ),
      lines: [],
    },
    {
      comment: comment(
        'aqara-demo-comment-scenes',
        'Run a scene: each button runs one of the TV scenes; a failure reaches the Catch node',
      ),
      lines: [
        ...SCENES.map(({ key, label, scene }) => [
          inject(`aqara-demo-inject-${key}`, label, `aqara-demo-scene-${key}`),
          aqara(`aqara-demo-scene-${key}`, 'aqara-scene', label, [`aqara-demo-debug-${key}`], { scene }),
          debug(`aqara-demo-debug-${key}`, `${label} result`),
        ]),
        [
          {
            id: 'aqara-demo-catch',
            type: 'catch',
            z: DEMO_TAB_ID,
            name: 'Scene failures',
            scope: ['aqara-demo-scene-pin', 'aqara-demo-scene-warn', 'aqara-demo-scene-off'],
            uncaught: false,
            wires: [['aqara-demo-debug-errors']],
          },
          undefined,
          debug('aqara-demo-debug-errors', 'Why a scene failed', 'error.message'),
        ],
      ],
    },
    {
      comment: comment(
        'aqara-demo-comment-token',
        'Token status: is a refresh token stored, how long does the access token live',
      ),
      lines: [
        [
          inject('aqara-demo-inject-status', 'Token status', 'aqara-demo-token-status'),
          aqara('aqara-demo-token-status', 'aqara-token-status', 'Token status', ['aqara-demo-debug-status']),
          debug('aqara-demo-debug-status', 'Token status'),
        ],
      ],
    },
    {
      comment: comment(
        'aqara-demo-comment-sensor',
        'Read a sensor: Aqara sends hundredths (2369 is 23.69 \u00b0C, 5762 is 57.62 %)',
      ),
      lines: [
        [
          inject('aqara-demo-inject-sensor', 'Read sensor', 'aqara-demo-sensor'),
          aqara(
            'aqara-demo-sensor',
            'aqara-device-get',
            'Temperature, humidity',
            ['aqara-demo-debug-sensor'],
            {
              device: SENSOR_DID,
              resources: ['0.1.85', '0.2.85'],
            },
          ),
          debug('aqara-demo-debug-sensor', 'Sensor values'),
        ],
      ],
    },
    {
      comment: comment(
        'aqara-demo-comment-switch',
        'Switch a light: write the left channel of a wall switch (checked against its definition first)',
      ),
      lines: [
        [
          inject('aqara-demo-inject-switch-on', 'Switch on', 'aqara-demo-switch', true),
          aqara('aqara-demo-switch', 'aqara-device-out', 'Wall switch, left', ['aqara-demo-debug-switch'], {
            device: SWITCH_DID,
            resource: '4.1.85',
          }),
          debug('aqara-demo-debug-switch', 'Written'),
        ],
        [inject('aqara-demo-inject-switch-off', 'Switch off', 'aqara-demo-switch', false)],
      ],
    },
    {
      comment: comment(
        'aqara-demo-comment-events',
        `Device events: every change of the wall switch, by push or (here) a poll every ${DEMO_POLL_SECONDS} s`,
      ),
      lines: [
        [
          aqara('aqara-demo-events', 'aqara-device-in', 'Wall switch changes', ['aqara-demo-debug-events'], {
            device: SWITCH_DID,
            resources: [],
            onlyChanges: true,
            outputOnStart: false,
          }),
          debug('aqara-demo-debug-events', 'What changed', 'data'),
        ],
      ],
    },
    {
      comment: comment(
        'aqara-demo-comment-remotes',
        'Infrared remotes: press a TV key by name; set an air conditioner (its state after the click comes back)',
      ),
      lines: [
        [
          inject('aqara-demo-inject-tv-power', 'TV power', 'aqara-demo-tv', 'Power'),
          aqara('aqara-demo-tv', 'aqara-ir', 'Living room TV', ['aqara-demo-debug-tv'], {
            device: TV_REMOTE_DID,
            key: 'Power',
          }),
          debug('aqara-demo-debug-tv', 'Pressed'),
        ],
        [inject('aqara-demo-inject-tv-volume', 'TV volume +', 'aqara-demo-tv', 'Volume +')],
        [
          inject('aqara-demo-inject-ac-cool', 'AC cool 24 \u00b0C', 'aqara-demo-ac', {
            power: 'on',
            mode: 'cool',
            temperature: 24,
          }),
          aqara('aqara-demo-ac', 'aqara-ir', 'Bedroom air conditioner', ['aqara-demo-debug-ac'], {
            device: AC_REMOTE_DID,
            key: '',
          }),
          debug('aqara-demo-debug-ac', 'Air conditioner state'),
        ],
        [inject('aqara-demo-inject-ac-off', 'AC off', 'aqara-demo-ac', { power: 'off' })],
      ],
    },
  ];
}

export function demoFlow(
  simulatorUrl: string,
  app: SimulatorApp,
  scenes: readonly SimulatorScene[],
): FlowNode[] {
  return [
    { id: DEMO_TAB_ID, type: 'tab', label: 'Aqara demo', disabled: false, info: '' },
    {
      id: DEMO_CONFIG_ID,
      type: 'aqara-config',
      name: 'Aqara simulator',
      region: 'custom',
      baseUrl: simulatorUrl,
      appId: app.appId,
      keyId: app.keyId,
      scenes: Object.fromEntries(scenes.map((scene) => [scene.name, scene.sceneId])),
      pollSeconds: DEMO_POLL_SECONDS,
      // Sent once with the deploy, as the editor does; Node-RED stores it encrypted in flows_cred.json.
      credentials: { appKey: app.appKey },
    },
    ...layOutRows(demoRows(simulatorUrl)),
  ];
}

/**
 * The simulator normally gets its fixed port back; when another program holds it, it runs elsewhere and
 * the demo's config node (possibly edited by the user, so only its URL changes) must follow.
 * Returns the flows to deploy, or undefined when nothing needs changing.
 */
export function retargetSimulator(flows: readonly FlowNode[], simulatorUrl: string): FlowNode[] | undefined {
  const config = flows.find((node) => node.id === DEMO_CONFIG_ID && node.type === 'aqara-config');
  if (!config || config.region !== 'custom' || config.baseUrl === simulatorUrl) return undefined;
  // Only a URL of a local simulator is ours to move; a custom URL the user typed stays.
  if (typeof config.baseUrl !== 'string' || !config.baseUrl.startsWith('http://127.0.0.1:')) return undefined;
  return flows.map((node) => (node === config ? { ...node, baseUrl: simulatorUrl } : node));
}
