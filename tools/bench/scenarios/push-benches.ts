import { performance } from 'node:perf_hooks';
import { AqaraSimulator, DEFAULT_POSITION_ID, type SimulatorDevice } from '../../../simulator/server';
import { openIdFor } from '../../../simulator/state';
import { percentile } from '../../reliability/lib/percentiles';
import { compareInterleaved, reportedRounds } from '../compare-interleaved';
import { type BenchFixture, standaloneConfig } from '../fixture';
import { count, fixed, ratioWithSpread } from '../format';
import { deployFull, storeRefreshToken } from '../node-red/admin';
import { PUSH_CONFIG_ID, PUSH_DID, PUSH_PATHS, PUSH_RESOURCE, pushFlows } from '../node-red/push-flows';
import { startNodeRed } from '../../../support/node-red';
import { BENCH_SETTINGS, benchInstall } from '../node-red/bench-settings';
import type { Sizes } from '../options';
import { progress } from '../progress';
import { PushSender, reportBody, sendAll, type PushAnswer } from '../push-sender';
import type { ScenarioResult } from '../result';
import type { NodeRedProcess } from '../../../support/node-red-process';

/** Ours over Node-RED's bare http in -> http response, on throughput or on latency (the issue's goal). */
const GOAL = 1.2;
const SLICE_PUSHES = 500;
/** Every request loop stops here at the latest, whatever is left. */
const LOOP_LIMIT_MS = 5 * 60_000;
const DELIVERY_WAIT_MS = 120_000;
const POLL_DEVICES = 50;
const POLL_RESOURCES = ['0.1.85', '0.2.85', '0.3.85', '0.4.85'];
const DEFAULT_POLL_SECONDS = 60;
const SHORT_POLL_MS = 1_000;

interface SinkCounts {
  received: number;
  seen: Record<string, number>;
}

async function sinkCounts(red: NodeRedProcess): Promise<SinkCounts> {
  const response = await fetch(red.urlFor(PUSH_PATHS.count), { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`push count: HTTP ${response.status}`);
  return (await response.json()) as SinkCounts;
}

/** Until every one of `values` reached the flow, or the deadline (then the missing ones count as lost). */
async function waitForValues(red: NodeRedProcess, values: readonly string[]): Promise<SinkCounts> {
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  for (;;) {
    const counts = await sinkCounts(red);
    if (values.every((value) => counts.seen[value] !== undefined) || Date.now() > deadline) return counts;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Until the aqara-device-in node listens on the config's pushes (the push status counts listeners). */
async function waitForListener(red: NodeRedProcess): Promise<void> {
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  for (;;) {
    const response = await fetch(red.urlFor(`aqara/push-status?config=${PUSH_CONFIG_ID}`), {
      signal: AbortSignal.timeout(30_000),
    });
    const status = response.ok ? ((await response.json()) as { listeners?: number }) : {};
    if ((status.listeners ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error('push: the aqara-device-in node never started listening');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${fixed(value, value < 10 ? 2 : 1)} ms`;
}

/**
 * Polling cost, from a real run: the package's ResourcePoller (from dist/) reads 50 devices x 4
 * resources from a simulator of its own on a 1 s timer; calls per poll are counted at the simulator
 * and scaled to the default interval.
 */
async function pollCost(fixture: BenchFixture, runs: number): Promise<{ calls: number; polls: number }> {
  const devices: SimulatorDevice[] = Array.from({ length: POLL_DEVICES }, (_, index) => ({
    did: `lumi.poll${String(index).padStart(8, '0')}`,
    parentDid: '',
    positionId: DEFAULT_POSITION_ID,
    model: 'bench.poll.v1',
    modelType: 3,
    state: 1,
    deviceName: `Poll device ${index}`,
    firmwareVersion: '1.0',
    values: Object.fromEntries(POLL_RESOURCES.map((id, n) => [id, String(n)])),
  }));
  const sim = new AqaraSimulator({ devices });
  await sim.start();
  const config = standaloneConfig(
    fixture.pkg,
    { baseUrl: sim.baseUrl, app: sim.apps[0], refreshToken: sim.issueRefreshToken() },
    'bench-poll',
  );
  try {
    const poller = new fixture.pkg.ResourcePoller(config.manager);
    const targets = devices.map((device) => ({ subjectId: device.did, resourceIds: POLL_RESOURCES }));
    const before = sim.callCount('query.resource.value');
    for (let poll = 0; poll < runs; poll++) {
      const started = performance.now();
      const outcome = await poller.read(targets);
      if (outcome.values.length !== POLL_DEVICES * POLL_RESOURCES.length)
        throw new Error(`poll: read ${outcome.values.length} values`);
      const rest = SHORT_POLL_MS - (performance.now() - started);
      if (poll < runs - 1 && rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
    return { calls: sim.callCount('query.resource.value') - before, polls: runs };
  } finally {
    config.close();
    await sim.stop();
  }
}

/**
 * The push endpoint in a real Node-RED: pushes per second and acknowledgement latency against
 * Node-RED's own http in -> http response on the same Node-RED, driven by the same client with the
 * same number in flight, interleaved; then a run with 5 % duplicates, counted where the flow receives
 * them; then what polling costs in calls.
 */
export async function pushEndpoint(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const { appId, keyId, appKey } = fixture.app;
  const openId = openIdFor(appId);
  // One time for every report: the change tracker drops a report older than the last, and pushes
  // in flight together may reach the journal in any order; the values are what differ.
  const reportTime = Date.now() + 3_600_000;
  let sequence = 0;
  const nextBody = (): { value: string; body: string } => {
    sequence += 1;
    const value = String(sequence);
    const body = reportBody(`bench-${value}`, openId, {
      subjectId: PUSH_DID,
      resourceId: PUSH_RESOURCE,
      value,
      time: reportTime,
    });
    return { value, body };
  };

  const node = await startNodeRed({ ...benchInstall(true), settings: BENCH_SETTINGS });
  const sender = new PushSender(node.red.url, sizes.pushWindow);
  try {
    const { red } = node;
    const flows = pushFlows({ baseUrl: fixture.sim.baseUrl, appId, keyId, appKey });
    await deployFull(red, flows);
    await storeRefreshToken(red, PUSH_CONFIG_ID, fixture.sim.issueRefreshToken());
    // Deployed before its token, the device-in node would start listening only at its 30 s retry,
    // and the timed rounds would measure the acknowledgements without the flow's work on each push.
    await deployFull(red, flows);
    await waitForListener(red);

    const slices = Math.max(1, Math.round(sizes.pushMessages / SLICE_PUSHES));
    const slicePushes = Math.ceil(sizes.pushMessages / slices);
    const warmupSlices = sizes.warmupRounds * slices;
    const latencies = { ours: [] as number[], baseline: [] as number[] };
    const sliceCount = { ours: 0, baseline: 0 };
    const oursValues: string[] = [];
    const loopDeadline = performance.now() + LOOP_LIMIT_MS;
    const drive = (side: 'ours' | 'baseline') => async (): Promise<void> => {
      const batch = Array.from({ length: slicePushes }, nextBody);
      const timed = sliceCount[side] >= warmupSlices;
      sliceCount[side] += 1;
      let failed: PushAnswer | undefined;
      const sent = await sendAll(
        sender,
        () => PUSH_PATHS[side],
        batch.map((item) => item.body),
        sizes.pushWindow,
        loopDeadline,
        (index, answer) => {
          if (answer.status !== 200) failed ??= answer;
          if (timed) latencies[side].push(answer.ms);
          if (side === 'ours' && answer.status === 200) oursValues.push(batch[index].value);
        },
      );
      if (sent < batch.length)
        throw new Error(`push: the run passed its ${LOOP_LIMIT_MS / 60_000} min limit`);
      if (failed) throw new Error(`push (${side}): HTTP ${failed.status}`);
    };
    const { wall } = await compareInterleaved(
      drive('ours'),
      drive('baseline'),
      reportedRounds('push', sizes, slices),
    );
    const perRound = slices * slicePushes;
    const throughputRatios = wall.ratios.map((ratio) => 1 / ratio);
    const perSecond = (msValue: number): string =>
      `${count(Math.round((perRound / msValue) * 1000))} pushes/s`;
    const p = (side: 'ours' | 'baseline', q: number): number | undefined => percentile(latencies[side], q);
    const latencyRatio = {
      p50: (p('ours', 50) ?? NaN) / (p('baseline', 50) ?? NaN),
      p99: (p('ours', 99) ?? NaN) / (p('baseline', 99) ?? NaN),
    };
    const throughputMet = 1 / wall.medianRatio >= 1 / GOAL;
    progress('push: waiting for the throughput pushes to reach the flow');
    const afterThroughput = await waitForValues(red, oursValues);
    const lostThroughput = oursValues.filter((value) => afterThroughput.seen[value] === undefined).length;

    // 10,000 pushes, every 20th a copy of an earlier one (Aqara redelivering): 5 % duplicates.
    const run = sizes.pushDuplicateRun;
    const uniques: { value: string; body: string }[] = [];
    const bodies: string[] = [];
    const isCopy: boolean[] = [];
    let pick = 7;
    for (let index = 0; index < run; index++) {
      if (index % 20 === 19) {
        pick = (pick * 7919 + 13) % uniques.length;
        bodies.push(uniques[pick].body);
        isCopy.push(true);
      } else {
        const item = nextBody();
        uniques.push(item);
        bodies.push(item.body);
        isCopy.push(false);
      }
    }
    const acked = new Set<string>();
    let refused = 0;
    const uniqueIndex: number[] = [];
    for (let index = 0, u = 0; index < run; index++) uniqueIndex.push(isCopy[index] ? -1 : u++);
    const runStarted = performance.now();
    const sent = await sendAll(
      sender,
      () => PUSH_PATHS.ours,
      bodies,
      sizes.pushWindow,
      performance.now() + LOOP_LIMIT_MS,
      (index, answer) => {
        if (answer.status !== 200) refused += 1;
        else if (!isCopy[index]) acked.add(uniques[uniqueIndex[index]].value);
      },
    );
    const runMs = performance.now() - runStarted;
    if (sent < run) throw new Error(`push: the duplicate run passed its ${LOOP_LIMIT_MS / 60_000} min limit`);
    // A last push after all others: once it is in, everything journaled before it has been drained.
    const sentinel = nextBody();
    const last = await sender.post(PUSH_PATHS.ours, sentinel.body);
    if (last.status !== 200) throw new Error(`push: the closing push got HTTP ${last.status}`);
    const counts = await waitForValues(red, [...acked, sentinel.value]);
    const runValues = uniques.map((item) => item.value);
    const lost = [...acked].filter((value) => counts.seen[value] === undefined).length;
    const duplicates = [...runValues, ...oursValues].reduce(
      (sum, value) => sum + Math.max(0, (counts.seen[value] ?? 0) - 1),
      0,
    );
    const copies = isCopy.filter(Boolean).length;

    progress('push: polling 50 devices x 4 resources');
    const poll = await pollCost(fixture, sizes.pollRuns);
    const callsPerPoll = poll.calls / poll.polls;
    const pollsPerHour = 3600 / DEFAULT_POLL_SECONDS;

    return {
      title: 'Push',
      rows: [
        {
          measure: `${count(perRound)} pushes, ${sizes.pushWindow} in flight: throughput (ratio: ours/baseline wall time)`,
          ours: perSecond(wall.medianCandidateMs),
          baseline: perSecond(wall.medianBaselineMs),
          ratio: ratioWithSpread(wall),
          goal: `≤ ${fixed(GOAL, 2)}`,
          met: throughputMet,
        },
        {
          measure: 'acknowledgement latency p50',
          ours: ms(p('ours', 50)),
          baseline: ms(p('baseline', 50)),
          ratio: fixed(latencyRatio.p50, 2),
          goal: `≤ ${fixed(GOAL, 2)}`,
          met: latencyRatio.p50 <= GOAL,
        },
        {
          measure: 'acknowledgement latency p99',
          ours: ms(p('ours', 99)),
          baseline: ms(p('baseline', 99)),
          ratio: fixed(latencyRatio.p99, 2),
          goal: `≤ ${fixed(GOAL, 2)}`,
          met: latencyRatio.p99 <= GOAL,
        },
        {
          measure: `${count(run)} pushes with ${count(copies)} duplicates (${fixed((copies / run) * 100, 0)} %): acknowledged pushes lost before the flow`,
          ours: String(lost + lostThroughput),
          baseline: '',
          ratio: '',
          goal: '= 0',
          met: lost + lostThroughput === 0,
        },
        {
          measure: 'the same run: pushes the flow received twice',
          ours: String(duplicates),
          baseline: '',
          ratio: '',
          goal: '= 0',
          met: duplicates === 0,
        },
        {
          measure: `poll calls per hour, ${POLL_DEVICES} devices x ${POLL_RESOURCES.length} resources every ${DEFAULT_POLL_SECONDS} s`,
          ours: `${count(callsPerPoll * pollsPerHour)} (${fixed(callsPerPoll, 0)} per poll)`,
          baseline: '',
          ratio: '',
          goal: '',
          met: undefined,
        },
      ],
      notes: [
        'One Node-RED child process with the package from a copy of dist/. Ours: `POST /aqara/push/<config id>/<secret>` ' +
          'answered by the package (parse, identity check, written to the journal in the token database before the 200), ' +
          'with an `aqara-device-in` on the pushed resource (listening before the timed rounds start) and a function ' +
          'node counting what the flow receives; a push is marked emitted as that node receives it. ' +
          "Baseline: Node-RED's own `http in` (POST, JSON body parsed) -> `http response` on the same Node-RED, which " +
          'writes nothing and emits nothing: the least any push endpoint in a flow can cost.',
        `Client: the bench process on 127.0.0.1, ${sizes.pushWindow} keep-alive connections, ${sizes.pushWindow} pushes in flight, ` +
          `each round ${count(perRound)} pushes per side in ${slices} slice(s) of ${count(slicePushes)}, the sides taking turns ` +
          '(compare-interleaved). Latency is first byte sent to the last byte of the answer, over every push of the timed ' +
          `rounds (${count(latencies.ours.length)} per side). Throughput ratio shown as our wall time over the baseline's; ` +
          `throughput ratios ours/baseline per round: ${throughputRatios.map((r) => fixed(r, 2)).join(', ')}. Goal ≤ 1.20 (the issue's): met when throughput or latency is within it; all three rows are reported.`,
        `Duplicate run: ${count(run)} pushes, every 20th a byte-identical copy of an earlier push (same msgId), ` +
          `${sizes.pushWindow} in flight, ${fixed(runMs / 1000, 1)} s (${count(Math.round((run / runMs) * 1000))} pushes/s); ` +
          `${count(acked.size)} distinct pushes acknowledged, ${refused} answered other than 200. Counted where the flow ` +
          'receives them (each push carries its own value); a closing push waited for last. Lost also counts the ' +
          `${count(oursValues.length)} pushes of the throughput rounds (${lostThroughput} lost).`,
        `Polling: counted, not estimated: the package's ResourcePoller (dist/) read ${POLL_DEVICES} devices x ` +
          `${POLL_RESOURCES.length} resources ${poll.polls} times on a ${SHORT_POLL_MS / 1000} s timer against a simulator ` +
          `of its own (batch limit 100 resources per query.resource.value): ${poll.calls} calls, i.e. ${fixed(callsPerPoll, 1)} ` +
          `per poll, x ${pollsPerHour} polls per hour at the default ${DEFAULT_POLL_SECONDS} s = ${count(callsPerPoll * pollsPerHour)} ` +
          `calls per hour, ${count(callsPerPoll * pollsPerHour * 24)} per day (Aqara's quota: about 300 per 5 min = 3,600 per hour). ` +
          'With push on and pushes arriving, polling pauses.',
      ],
      raw: {
        perRound,
        slicePushes,
        window: sizes.pushWindow,
        wall,
        throughputRatios,
        latency: {
          ours: { p50: p('ours', 50), p99: p('ours', 99), n: latencies.ours.length },
          baseline: { p50: p('baseline', 50), p99: p('baseline', 99), n: latencies.baseline.length },
        },
        duplicateRun: { run, copies, acked: acked.size, refused, lost, lostThroughput, duplicates, runMs },
        poll: { ...poll, callsPerPoll, pollsPerHour },
      },
    };
  } finally {
    sender.close();
    await node.stop();
  }
}
