import { deepStrictEqual } from 'node:assert/strict';
import { AqaraSimulator, DEFAULT_POSITION_ID } from '../../../simulator/server';
import { SENSOR_DID } from '../../../simulator/devices';
import { BareAqaraPoster } from '../baseline-client';
import { compareInterleaved, reportedRounds } from '../compare-interleaved';
import { BENCH_SCENE_ID, BENCH_SCENE_NAME } from '../fixture';
import { count, duration, fixed, ratioWithSpread } from '../format';
import { deployFull, postJson, storeRefreshToken } from '../node-red/admin';
import { sliceDriver } from '../node-red/drive';
import {
  CONFIG_ID,
  DEVICE_ONCE_PATHS,
  DEVICE_THROUGHPUT_PATHS,
  deviceReadFlows,
  type DeviceTarget,
  type FlowTarget,
} from '../node-red/flows';
import { startNodeRed } from '../../../support/node-red';
import { BENCH_SETTINGS, benchInstall } from '../node-red/bench-settings';
import type { Sizes } from '../options';
import type { ScenarioResult } from '../result';
import { GOAL, SLICE_MESSAGES } from './node-red-throughput';

const READ_INTENT = 'query.resource.value';

/**
 * The simulator's temperature/humidity sensor, four resources with numeric ranges (temperature,
 * humidity, pressure, battery voltage), pinned to fixed values so both chains must read the same.
 */
const PINNED: Readonly<Record<string, string>> = {
  '0.1.85': '2350',
  '0.2.85': '4810',
  '0.3.85': '100830',
  '8.0.2008': '3005',
};
const DEVICE: DeviceTarget = { did: SENSOR_DID, resourceIds: Object.keys(PINNED) };

/** What both chains must answer for one read: the did as topic, the typed values as payload. */
const EXPECTED = {
  topic: SENSOR_DID,
  payload: Object.fromEntries(Object.entries(PINNED).map(([id, value]) => [id, Number(value)])),
};

/** One read through a chain's one-read path: the msg's topic and payload as the flow made them. */
async function readOnce(red: Parameters<typeof postJson>[0], path: string, token?: string): Promise<unknown> {
  const answer = await postJson(red, path, { token });
  if (answer.status !== 200) throw new Error(`${path}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * Messages through a real Node-RED: `aqara-device-get` reading four resources of one device, against a
 * hand-written function (sign) + http request + function (parse) chain doing the same read, with the
 * same driver and window as the scene throughput row. Before the timed rounds, one read per side must
 * give the same topic and payload (values pinned at the simulator), so the two do the same work.
 */
export async function deviceReadThroughput(
  sizes: Sizes,
): Promise<Pick<ScenarioResult, 'rows' | 'notes'> & { raw: Record<string, unknown> }> {
  const messages = sizes.nodeRedMessages;
  const window = sizes.nodeRedWindow;
  // A simulator of its own (default devices, the bench scene): the pinned values stay out of the shared one.
  const sim = new AqaraSimulator({
    scenes: [{ sceneId: BENCH_SCENE_ID, name: BENCH_SCENE_NAME, positionId: DEFAULT_POSITION_ID }],
  });
  await sim.start();
  const node = await startNodeRed({ ...benchInstall(true), settings: BENCH_SETTINGS }).catch(
    async (error: unknown) => {
      await sim.stop();
      throw error;
    },
  );
  try {
    for (const [resourceId, value] of Object.entries(PINNED))
      sim.devices.setValue(SENSOR_DID, resourceId, value);
    const { appId, keyId, appKey } = sim.apps[0];
    const target: FlowTarget = {
      baseUrl: sim.baseUrl,
      appId,
      keyId,
      appKey,
      sceneId: BENCH_SCENE_ID,
      sceneName: BENCH_SCENE_NAME,
    };
    const { red } = node;
    await deployFull(red, deviceReadFlows(target, DEVICE));
    await storeRefreshToken(red, CONFIG_ID, sim.issueRefreshToken());
    const poster = new BareAqaraPoster({ baseUrl: sim.baseUrl, appId, keyId, appKey });
    let accessToken: string;
    try {
      ({ accessToken } = await poster.fetchAccessToken(sim.issueRefreshToken()));
    } finally {
      poster.close();
    }

    // Also the warm-up of ours: the device and the model's definitions are looked up once, then cached.
    const ours = await readOnce(red, DEVICE_ONCE_PATHS.ours);
    const baseline = await readOnce(red, DEVICE_ONCE_PATHS.baseline, accessToken);
    deepStrictEqual(ours, EXPECTED, 'aqara-device-get read other values than the simulator holds');
    deepStrictEqual(baseline, ours, 'the hand-written flow and aqara-device-get read different values');

    const slices = Math.max(1, Math.round(messages / SLICE_MESSAGES));
    const sliceMessages = Math.ceil(messages / slices);
    const drive = (path: string, token?: string): (() => Promise<void>) =>
      sliceDriver(red, path, {
        messages: sliceMessages,
        window,
        token,
        calls: () => sim.callCount(READ_INTENT),
      });
    const { wall: comparison } = await compareInterleaved(
      drive(DEVICE_THROUGHPUT_PATHS.ours),
      drive(DEVICE_THROUGHPUT_PATHS.baseline, accessToken),
      reportedRounds('device-get', sizes, slices),
    );
    const perRound = slices * sliceMessages;
    const perSecond = (ms: number): string => `${count(Math.round((perRound / ms) * 1000))} msg/s`;
    return {
      rows: [
        {
          measure:
            `Node-RED: ${count(perRound)} reads of ${DEVICE.resourceIds.length} resources, ${window} in flight, ` +
            'aqara-device-get vs function + http request: wall time (throughput in brackets)',
          ours: `${duration(comparison.medianCandidateMs)} (${perSecond(comparison.medianCandidateMs)})`,
          baseline: `${duration(comparison.medianBaselineMs)} (${perSecond(comparison.medianBaselineMs)})`,
          ratio: ratioWithSpread(comparison),
          goal: `≤ ${fixed(GOAL, 2)}`,
          met: comparison.medianRatio <= GOAL,
        },
      ],
      notes: [
        'Node-RED read row: as the scene throughput row (one Node-RED child, package from a copy of dist/, both chains ' +
          `on one tab behind identical drivers keeping ${window} messages in flight, ${slices} runs of ` +
          `${count(sliceMessages)} per side per round, taking turns), against a simulator of its own in the bench ` +
          `process. Each message reads ${DEVICE.resourceIds.join(', ')} of the temperature sensor ${SENSOR_DID}: one ` +
          `${READ_INTENT} call per message on both sides (checked at the simulator for every run).`,
        'Ours: `aqara-device-get` with device and resources set in the node, the config with `rateLimit` 0; the ' +
          'device and its model definitions are cached by the read before the rounds. Baseline: function node ' +
          "signing with `crypto` from the function node's `libs` (Aqara's md5 rule), `http request` node (POST, " +
          'parsed JSON, keep-alive on) posting the same query.resource.value, function node checking `code` and ' +
          'making the same payload (resource id -> number for plain decimals) and topic; the access token fetched ' +
          'beforehand, no refresh. Before the rounds one read per side must answer the same topic and payload, ' +
          'equal to the values pinned at the simulator (asserted).',
      ],
      raw: { deviceRead: { messages: perRound, sliceMessages, window, comparison } },
    };
  } finally {
    await node.stop();
    await sim.stop();
  }
}
