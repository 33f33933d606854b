import { performance } from 'node:perf_hooks';
import {
  AqaraSimulator,
  DEFAULT_POSITION_ID,
  type SimulatorDevice,
  type SimulatorOptions,
  type SimulatorResourceDef,
} from '../../../simulator/server';
import {
  BENCH_SCENE_ID,
  BENCH_SCENE_NAME,
  type BenchFixture,
  type ConfigTarget,
  standaloneConfig,
} from '../fixture';
import { count, fixed, microseconds } from '../format';
import type { Sizes } from '../options';
import type { ScenarioResult } from '../result';
import { BareAqaraPoster } from '../baseline-client';
import { ChildSimulator } from '../simulator/child-simulator';
import { deviceReadThroughput } from './device-read-throughput';
import { DELAYED_ANSWER_MS } from './per-call';
import { median } from '../medians';

const MODEL = 'bench.model.v1';
const BIG_DID = 'lumi.benchbig';
const RESOURCES = 250;
const BATCH_LIMIT = 100;
const LISTED_DEVICES = 3_000;
/** The package's page size for `query.device.info`; the bare client asks for the same. */
const PAGE_SIZE = 100;
const LATENCY_GOAL = 1.1;
/** Idle and busy take turns this many times, so drifting load weighs on both alike. */
const LATENCY_SLICES = 10;

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

type LatencyTarget = ConfigTarget;

interface Latency {
  idleMs: number;
  busyMs: number;
  listings: number;
}

/** One client's two jobs: a scene run, and a full listing of the account's devices. */
interface LatencySide {
  sceneRun(): Promise<void>;
  listing(): Promise<void>;
  close(): void;
}

/** The package: its own client, token manager and device service, as a deployed config has. */
function oursSide(fixture: BenchFixture, target: LatencyTarget): LatencySide {
  const config = standaloneConfig(fixture.pkg, target, 'bench-latency');
  const manager = config.manager;
  const service = new fixture.pkg.DeviceService(manager);
  return {
    sceneRun: async () => {
      await fixture.pkg.runScene(manager, BENCH_SCENE_ID);
    },
    listing: async () => {
      const list = await service.listDevices(true);
      if (list.length !== LISTED_DEVICES) throw new Error(`devices: listed ${list.length} devices`);
    },
    close: () => config.close(),
  };
}

/**
 * The same two jobs on bench/baseline-client.ts (a signed POST on a keep-alive agent, JSON.parse, a look
 * at `code`), one page after the other: what any client in one Node process pays when two request loops
 * share its event loop.
 */
async function bareSide(target: LatencyTarget): Promise<LatencySide> {
  const poster = new BareAqaraPoster({ baseUrl: target.baseUrl, ...target.app });
  const { accessToken } = await poster.fetchAccessToken(target.refreshToken);
  return {
    sceneRun: async () => {
      await poster.post('config.scene.run', { sceneId: BENCH_SCENE_ID }, accessToken);
    },
    listing: async () => {
      let listed = 0;
      for (let pageNum = 1; ; pageNum++) {
        const { result } = await poster.post(
          'query.device.info',
          { pageNum, pageSize: PAGE_SIZE },
          accessToken,
        );
        const page = (result as { data: unknown[] }).data;
        listed += page.length;
        if (page.length < PAGE_SIZE || listed >= LISTED_DEVICES) break;
      }
      if (listed !== LISTED_DEVICES) throw new Error(`devices: the bare client listed ${listed} devices`);
    },
    close: () => poster.close(),
  };
}

/**
 * Sequential scene runs, idle and while listings of the account follow each other without a pause,
 * in alternating slices so load from other processes weighs on idle and busy alike.
 */
async function sceneLatencyDuringListings(side: LatencySide, runs: number): Promise<Latency> {
  const sceneRuns = async (n: number, into: number[]): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      await side.sceneRun();
      into.push(performance.now() - started);
    }
  };
  const listingsWhile = async (work: () => Promise<void>): Promise<number> => {
    let listings = 0;
    let stop = false;
    const listing = (async () => {
      while (!stop) {
        await side.listing();
        listings += 1;
      }
    })();
    try {
      await work();
    } finally {
      stop = true;
      await listing;
    }
    return listings;
  };
  // Warm-up: JIT, pooled sockets and the token, on both paths.
  const warmUp = Math.min(runs, 50);
  await sceneRuns(warmUp, []);
  await listingsWhile(() => sceneRuns(warmUp, []));
  const idle: number[] = [];
  const busy: number[] = [];
  let listings = 0;
  const slice = Math.ceil(runs / LATENCY_SLICES);
  for (let round = 0; round < LATENCY_SLICES; round++) {
    if (round % 2 === 0) await sceneRuns(slice, idle);
    listings += await listingsWhile(() => sceneRuns(slice, busy));
    if (round % 2 === 1) await sceneRuns(slice, idle);
  }
  return { idleMs: median(idle), busyMs: median(busy), listings };
}

async function measureSide(side: LatencySide, runs: number): Promise<Latency> {
  try {
    return await sceneLatencyDuringListings(side, runs);
  } finally {
    side.close();
  }
}

function simulatorOptions(): SimulatorOptions {
  return {
    scenes: [{ sceneId: BENCH_SCENE_ID, name: BENCH_SCENE_NAME, positionId: DEFAULT_POSITION_ID }],
    devices: devices(),
    resourceDefinitions: { [MODEL]: definitions() },
    resourceBatchLimit: BATCH_LIMIT,
  };
}

/**
 * What device reads cost in calls (the goal: ⌈N / batch limit⌉ `query.resource.value` calls for N
 * resources), and what a device listing in flight does to a scene run's latency (goal ≤ 1.10 of idle).
 * On simulators of their own with one device of 250 resources and 3,000 devices to list: in process for
 * the call counts, and for the latency both in process and in a child process, which tells the
 * simulator's share of the slowdown from the package's.
 */
export async function deviceCosts(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const sim = new AqaraSimulator(simulatorOptions());
  await sim.start();
  const config = standaloneConfig(
    fixture.pkg,
    { baseUrl: sim.baseUrl, app: sim.apps[0], refreshToken: sim.issueRefreshToken() },
    'bench-devices',
  );
  try {
    const service = new fixture.pkg.DeviceService(config.manager, { batchLimit: BATCH_LIMIT });
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

    const reads = await deviceReadThroughput(sizes);
    rows.push(...reads.rows);

    const runs = Math.max(50, Math.round(sizes.perCallCalls / 20));
    // Noise at 20 ms is a few hundred microseconds a run: enough runs for the median to hold still.
    const delayedRuns = Math.max(50, Math.round(runs / 2));
    const target = async (where: AqaraSimulator | ChildSimulator): Promise<LatencyTarget> => ({
      baseUrl: where.baseUrl,
      app: where.apps[0],
      refreshToken: await where.issueRefreshToken(),
    });
    const inProcess = await measureSide(oursSide(fixture, await target(sim)), runs);
    const child = await ChildSimulator.start(simulatorOptions());
    const latency: Record<'loopback' | 'delayed', { ours: Latency; bare: Latency }> = {} as never;
    try {
      latency.loopback = {
        ours: await measureSide(oursSide(fixture, await target(child)), runs),
        bare: await measureSide(await bareSide(await target(child)), runs),
      };
      await child.injectFault({ fault: { kind: 'delay', ms: DELAYED_ANSWER_MS }, times: Infinity });
      latency.delayed = {
        ours: await measureSide(oursSide(fixture, await target(child)), delayedRuns),
        bare: await measureSide(await bareSide(await target(child)), delayedRuns),
      };
    } finally {
      await child.stop();
    }
    const ratioOf = (side: Latency): number => side.busyMs / side.idleMs;
    const latencyRow = (
      measure: string,
      ours: Latency,
      bare: Latency | undefined,
      goal: boolean,
    ): ScenarioResult['rows'][number] => ({
      measure,
      ours: `${microseconds(ours.busyMs)} (${microseconds(ours.idleMs)} idle)`,
      baseline:
        bare === undefined
          ? ''
          : `${fixed(ratioOf(bare), 2)}x idle: ${microseconds(bare.busyMs)} (${microseconds(bare.idleMs)} idle)`,
      ratio: `${fixed(ratioOf(ours), 2)} of idle`,
      goal: goal ? `≤ ${LATENCY_GOAL.toFixed(2)}` : '',
      met: goal ? ratioOf(ours) <= LATENCY_GOAL : undefined,
    });
    const during = `while ${count(LISTED_DEVICES)}-device listings run`;
    rows.push(
      latencyRow(
        `scene run latency (median of ${count(runs)}) ${during}; simulator in a child process, loopback`,
        latency.loopback.ours,
        latency.loopback.bare,
        true,
      ),
      latencyRow(
        `the same, every answer ${DELAYED_ANSWER_MS} ms late (median of ${count(delayedRuns)})`,
        latency.delayed.ours,
        latency.delayed.bare,
        true,
      ),
      latencyRow(
        `the same on loopback, simulator in the bench process (as measured before)`,
        inProcess,
        undefined,
        false,
      ),
    );
    return {
      title: 'Devices',
      rows,
      notes: [
        `Simulators of their own: one device with ${RESOURCES} resources, ${count(LISTED_DEVICES)} devices in the ` +
          `account, batch limit ${BATCH_LIMIT} resources per query.resource.value.`,
        'Calls per read are counted by the simulator; the definitions of the model were fetched before (once per model).',
        `Latency: sequential scene runs, idle and while listings of the account (${LISTED_DEVICES / PAGE_SIZE} pages of ` +
          `${PAGE_SIZE}) follow each other without a pause, in ${LATENCY_SLICES} alternating slices of idle and busy; ` +
          `listings completed while timed: ours ${latency.loopback.ours.listings} on loopback, ` +
          `${latency.delayed.ours.listings} at ${DELAYED_ANSWER_MS} ms. Ours: \`runScene\` and \`DeviceService.listDevices\` ` +
          'on one token manager and client (no quota guard, as in the per-call rows). The baseline column is the same ' +
          'measure on bench/baseline-client.ts, scene runs and pages on one keep-alive agent.',
        'The goal rows run the simulator in a child process (tools/bench/simulator/), so building its pages does not ' +
          `compete with the clients for the bench process; the last row is the in-process figure for comparison. The ` +
          `${DELAYED_ANSWER_MS} ms row holds every answer (pages too), as a nearby Aqara region would.`,
        ...reads.notes,
      ],
      raw: { callsPerRead, ...reads.raw, runs, delayedRuns, latency, latencyInProcess: inProcess },
    };
  } finally {
    config.close();
    await sim.stop();
  }
}
