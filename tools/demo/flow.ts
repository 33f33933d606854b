import { AC_REMOTE_DID, SENSOR_DID, SWITCH_DID, TV_REMOTE_DID } from '../../simulator/devices';
import type { SimulatorApp, SimulatorScene } from '../../simulator/server';
import { TOKEN_DB_FILE } from './demo-paths';

/**
 * The demo flow: one aqara-config aimed at the local simulator, a row per TV scene
 * (inject -> aqara-scene -> debug), a token-status row, a catch for failures and a comment that
 * explains it all. Ids are fixed and readable so later runs can find the config node again.
 */

export interface FlowNode {
  id: string;
  type: string;
  [property: string]: unknown;
}

export const DEMO_TAB_ID = 'aqara-demo-tab';
export const DEMO_CONFIG_ID = 'aqara-demo-config';

const ROWS: ReadonlyArray<{ key: string; label: string; scene: string }> = [
  { key: 'pin', label: 'PIN entry', scene: 'tv_pin_entry' },
  { key: 'warn', label: 'Warning', scene: 'tv_warning' },
  { key: 'off', label: 'Power off', scene: 'tv_power_off' },
];

function inject(id: string, name: string, x: number, y: number, target: string): FlowNode {
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
    payload: '',
    payloadType: 'date',
    x,
    y,
    wires: [[target]],
  };
}

/** Also printed to Node-RED's console, so the terminal shows each result as well as the sidebar. */
function debug(id: string, name: string, property: string, x: number, y: number): FlowNode {
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
    x,
    y,
    wires: [],
  };
}

function explanation(simulatorUrl: string): string {
  return [
    `This flow talks to a local **Aqara simulator** (${simulatorUrl}) that \`npm start\` runs, not to Aqara's cloud.`,
    '',
    '- Click the button on the left of an inject node to run that scene. The result',
    '  (`sceneId`, `scene`, `requestId`) appears in the Debug sidebar and in the terminal.',
    '- **Read sensor** reads a temperature/humidity sensor of the simulated account (values drift over time);',
    '  **Switch on/off** writes a wall switch channel. Open either node to pick another device or resource.',
    '- **TV power** and **TV volume +** press keys of an infrared TV remote; **AC cool 24 °C** and **AC off**',
    '  set an air conditioner remote (the state after the click comes back). Both hang off the simulated Hub M2.',
    '- **Token status** shows whether a refresh token is stored and how long the cached access token lives.',
    `- The refresh token is not in this flow: it lives in the token database (${TOKEN_DB_FILE}).`,
    '  `npm start` stored one from the simulator for you. Replace it in the *Aqara simulator* config node',
    '  or with `POST /aqara/refresh-token`.',
    '- Every refresh rotates the token and the simulator remembers it, so restarting `npm start` keeps working.',
    '- To talk to your real Aqara account, set the config node\u2019s region, App ID, Key ID and App Key,',
    '  and paste your refresh token there.',
    '- To reset the demo: stop it, delete the `.demo` folder, run `npm start` again.',
  ].join('\n');
}

export function demoFlow(
  simulatorUrl: string,
  app: SimulatorApp,
  scenes: readonly SimulatorScene[],
): FlowNode[] {
  const nodes: FlowNode[] = [
    { id: DEMO_TAB_ID, type: 'tab', label: 'Aqara demo', disabled: false, info: '' },
    {
      id: 'aqara-demo-readme',
      type: 'comment',
      z: DEMO_TAB_ID,
      name: 'Aqara Cloud demo: click an inject button (open this comment for details)',
      info: explanation(simulatorUrl),
      x: 330,
      y: 40,
      wires: [],
    },
    {
      id: DEMO_CONFIG_ID,
      type: 'aqara-config',
      name: 'Aqara simulator',
      region: 'custom',
      baseUrl: simulatorUrl,
      appId: app.appId,
      keyId: app.keyId,
      scenes: Object.fromEntries(scenes.map((scene) => [scene.name, scene.sceneId])),
      // Sent once with the deploy, as the editor does; Node-RED stores it encrypted in flows_cred.json.
      credentials: { appKey: app.appKey },
    },
  ];
  ROWS.forEach((row, index) => {
    const y = 100 + index * 60;
    const sceneId = `aqara-demo-scene-${row.key}`;
    const debugId = `aqara-demo-debug-${row.key}`;
    nodes.push(
      inject(`aqara-demo-inject-${row.key}`, row.label, 130, y, sceneId),
      {
        id: sceneId,
        type: 'aqara-scene',
        z: DEMO_TAB_ID,
        name: row.label,
        config: DEMO_CONFIG_ID,
        scene: row.scene,
        x: 330,
        y,
        wires: [[debugId]],
      },
      debug(debugId, `${row.label} result`, 'payload', 550, y),
    );
  });
  const statusY = 100 + ROWS.length * 60;
  nodes.push(
    inject('aqara-demo-inject-status', 'Token status', 130, statusY, 'aqara-demo-token-status'),
    {
      id: 'aqara-demo-token-status',
      type: 'aqara-token-status',
      z: DEMO_TAB_ID,
      name: 'Token status',
      config: DEMO_CONFIG_ID,
      x: 330,
      y: statusY,
      wires: [['aqara-demo-debug-status']],
    },
    debug('aqara-demo-debug-status', 'Token status', 'payload', 550, statusY),
    {
      id: 'aqara-demo-catch',
      type: 'catch',
      z: DEMO_TAB_ID,
      name: 'Scene failures',
      scope: null,
      uncaught: false,
      x: 140,
      y: statusY + 80,
      wires: [['aqara-demo-debug-errors']],
    },
    debug('aqara-demo-debug-errors', 'Why a scene failed', 'error.message', 550, statusY + 80),
  );
  nodes.push(...deviceRows(statusY + 160));
  nodes.push(...remoteRows(statusY + 340));
  return nodes;
}

/** A sensor read and a wall-switch channel switched, on the simulator's own devices. */
function deviceRows(y: number): FlowNode[] {
  const valueInject = (id: string, name: string, value: boolean, rowY: number): FlowNode => ({
    ...inject(id, name, 130, rowY, 'aqara-demo-switch'),
    payload: String(value),
    payloadType: 'bool',
  });
  return [
    inject('aqara-demo-inject-sensor', 'Read sensor', 130, y, 'aqara-demo-sensor'),
    {
      id: 'aqara-demo-sensor',
      type: 'aqara-device-get',
      z: DEMO_TAB_ID,
      // Aqara sends both in hundredths: 2369 is 23.69 °C, 5762 is 57.62 %.
      name: 'Temperature, humidity (0.01 °C, 0.01 %)',
      config: DEMO_CONFIG_ID,
      device: SENSOR_DID,
      resources: ['0.1.85', '0.2.85'],
      x: 350,
      y,
      wires: [['aqara-demo-debug-sensor']],
    },
    debug('aqara-demo-debug-sensor', 'Sensor values', 'payload', 570, y),
    valueInject('aqara-demo-inject-switch-on', 'Switch on', true, y + 60),
    valueInject('aqara-demo-inject-switch-off', 'Switch off', false, y + 100),
    {
      id: 'aqara-demo-switch',
      type: 'aqara-device-out',
      z: DEMO_TAB_ID,
      name: 'Wall switch, left',
      config: DEMO_CONFIG_ID,
      device: SWITCH_DID,
      resource: '4.1.85',
      x: 350,
      y: y + 80,
      wires: [['aqara-demo-debug-switch']],
    },
    debug('aqara-demo-debug-switch', 'Written', 'payload', 570, y + 80),
  ];
}

/** A TV remote's keys pressed and an air conditioner set, on the simulated Hub M2's infrared remotes. */
function remoteRows(y: number): FlowNode[] {
  const withPayload = (node: FlowNode, payload: unknown, payloadType: string): FlowNode => ({
    ...node,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    payloadType,
  });
  return [
    withPayload(inject('aqara-demo-inject-tv-power', 'TV power', 130, y, 'aqara-demo-tv'), 'Power', 'str'),
    withPayload(
      inject('aqara-demo-inject-tv-volume', 'TV volume +', 130, y + 40, 'aqara-demo-tv'),
      'Volume +',
      'str',
    ),
    {
      id: 'aqara-demo-tv',
      type: 'aqara-ir',
      z: DEMO_TAB_ID,
      name: 'Living room TV',
      config: DEMO_CONFIG_ID,
      device: TV_REMOTE_DID,
      key: 'Power',
      x: 350,
      y: y + 20,
      wires: [['aqara-demo-debug-tv']],
    },
    debug('aqara-demo-debug-tv', 'Pressed', 'payload', 570, y + 20),
    withPayload(
      inject('aqara-demo-inject-ac-cool', 'AC cool 24 °C', 130, y + 100, 'aqara-demo-ac'),
      { power: 'on', mode: 'cool', temperature: 24 },
      'json',
    ),
    withPayload(
      inject('aqara-demo-inject-ac-off', 'AC off', 130, y + 140, 'aqara-demo-ac'),
      { power: 'off' },
      'json',
    ),
    {
      id: 'aqara-demo-ac',
      type: 'aqara-ir',
      z: DEMO_TAB_ID,
      name: 'Bedroom air conditioner',
      config: DEMO_CONFIG_ID,
      device: AC_REMOTE_DID,
      key: '',
      x: 350,
      y: y + 120,
      wires: [['aqara-demo-debug-ac']],
    },
    debug('aqara-demo-debug-ac', 'Air conditioner state', 'payload', 570, y + 120),
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
