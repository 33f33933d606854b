import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  AqaraSimulator,
  DEFAULT_POSITION_ID,
  type SimulatorDevice,
  type SimulatorResourceDef,
} from '../../simulator/server';
import { makeTempDir } from '../../test/helpers/temp-dir';
import { BENCH_SCENE_ID, BENCH_SCENE_NAME, type BenchFixture } from '../fixture';
import { count, fixed, microseconds } from '../format';
import type { Sizes } from '../options';
import type { ScenarioResult } from '../result';
import { median } from '../stats';

const MODEL = 'bench.model.v1';
const BIG_DID = 'lumi.benchbig';
const RESOURCES = 250;
const BATCH_LIMIT = 100;
const LISTED_DEVICES = 3_000;
const LATENCY_GOAL = 1.1;

function definitions(): SimulatorResourceDef[] {
  return Array.from({ length: RESOURCES }, (_, index) => ({
    resourceId: `0.${index + 1}.85`,
    name: `Value ${index + 1}`,
    description: '',
    enums: '',
    minValue: 0,
    maxValue: 100_000,
    unit: 1,
    access: 0,
    defaultValue: '',
  }));
}

function devices(): SimulatorDevice[] {
  const values = Object.fromEntries(definitions().map((def, index) => [def.resourceId, String(index)]));
  const list: SimulatorDevice[] = [];
  for (let index = 0; index < LISTED_DEVICES; index++) {
    list.push({
      did: index === 0 ? BIG_DID : `lumi.bench${String(index).padStart(10, '0')}`,
      parentDid: '',
      positionId: DEFAULT_POSITION_ID,
      model: MODEL,
      modelType: 3,
      state: 1,
      deviceName: `Bench device ${index}`,
      firmwareVersion: '1.0',
      values: index === 0 ? values : { '0.1.85': '1' },
    });
  }
  return list;
}

/**
 * What device reads cost in calls (the goal: ⌈N / batch limit⌉ `query.resource.value` calls for N
 * resources), and what a device listing in flight does to a scene run's latency (goal ≤ 1.10 of idle).
 * In process, on a simulator of its own with one device of 250 resources and 3,000 devices to list.
 */
export async function deviceCosts(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const { DeviceService, AqaraClient, TokenManager, TokenStore } = fixture.pkg;
  const sim = new AqaraSimulator({
    scenes: [{ sceneId: BENCH_SCENE_ID, name: BENCH_SCENE_NAME, positionId: DEFAULT_POSITION_ID }],
    devices: devices(),
    resourceDefinitions: { [MODEL]: definitions() },
    resourceBatchLimit: BATCH_LIMIT,
  });
  const temp = makeTempDir('aqara-bench-devices-');
  const store = TokenStore.open(join(temp.path, 'tokens.db'));
  await sim.start();
  const { appId, keyId, appKey } = sim.apps[0];
  const client = new AqaraClient({ baseUrl: sim.baseUrl, appId, keyId, appKey });
  store.write('bench-devices', sim.issueRefreshToken(), appId);
  const manager = new TokenManager({ configId: 'bench-devices', appId, client, store });
  try {
    const service = new DeviceService(manager, { batchLimit: BATCH_LIMIT });
    await service.read(BIG_DID, ['0.1.85']);
    const rows: ScenarioResult['rows'] = [];
    const callsPerRead: Record<number, number> = {};
    for (const n of [1, 10, 100, 101, 250]) {
      const ids = definitions()
        .slice(0, n)
        .map((def) => def.resourceId);
      const before = sim.callCount('query.resource.value');
      const reading = await service.read(BIG_DID, ids);
      const calls = sim.callCount('query.resource.value') - before;
      if (reading.readings.length !== n) throw new Error(`devices: read ${reading.readings.length} of ${n}`);
      callsPerRead[n] = calls;
      const goal = Math.ceil(n / BATCH_LIMIT);
      rows.push({
        measure: `one read of ${n} resources: query.resource.value calls`,
        ours: String(calls),
        baseline: '',
        ratio: '',
        goal: `= ${goal}`,
        met: calls === goal,
      });
    }

    const runs = Math.max(50, Math.round(sizes.perCallCalls / 20));
    const sceneLatencies = async (): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await manager.runScene(BENCH_SCENE_ID);
        times.push(performance.now() - started);
      }
      return times;
    };
    await sceneLatencies();
    const idle = median(await sceneLatencies());
    const busyTimes: number[] = [];
    let listings = 0;
    let stop = false;
    const listing = (async () => {
      while (!stop) {
        await service.listDevices(true);
        listings += 1;
      }
    })();
    try {
      busyTimes.push(...(await sceneLatencies()));
    } finally {
      stop = true;
      await listing;
    }
    const busy = median(busyTimes);
    const ratio = busy / idle;
    rows.push({
      measure: `scene run latency (median of ${count(runs)}) while ${count(LISTED_DEVICES)}-device listings run`,
      ours: microseconds(busy),
      baseline: `${microseconds(idle)} idle`,
      ratio: fixed(ratio, 2),
      goal: `≤ ${LATENCY_GOAL.toFixed(2)}`,
      met: ratio <= LATENCY_GOAL,
    });
    return {
      title: 'Devices',
      rows,
      notes: [
        `A simulator of its own: one device with ${RESOURCES} resources, ${count(LISTED_DEVICES)} devices in the ` +
          `account, batch limit ${BATCH_LIMIT} resources per query.resource.value.`,
        'Calls per read are counted by the simulator; the definitions of the model were fetched before (once per model).',
        `Latency: sequential scene runs, first idle, then while \`listDevices\` keeps paging through the account ` +
          `(${listings} listings of ${Math.ceil(LISTED_DEVICES / 100)} pages completed meanwhile), simulator in the same process.`,
        'Not measured here: the Node-RED throughput of aqara-device-get against a function + http request flow.',
      ],
      raw: { callsPerRead, idleMs: idle, busyMs: busy, listings, runs },
    };
  } finally {
    manager.close();
    client.close();
    store.close();
    await sim.stop();
    temp.remove();
  }
}
