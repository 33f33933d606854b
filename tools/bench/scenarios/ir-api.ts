import { AC_REMOTE_DID, TV_REMOTE_DID } from '../../../simulator/devices';
import { startNodeRed } from '../../../support/node-red';
import type { NodeRedProcess } from '../../../support/node-red-process';
import { childCpuPerRound } from '../child-cpu';
import { compareInterleaved, reportedRounds } from '../compare-interleaved';
import { median } from '../medians';
import type { BenchFixture } from '../fixture';
import { count, duration, fixed } from '../format';
import { deployFull, postJson, storeRefreshToken } from '../node-red/admin';
import { BENCH_SETTINGS, benchInstall } from '../node-red/bench-settings';
import { sliceDriver } from '../node-red/drive';
import { CONFIG_ID } from '../node-red/flows';
import { API_THROUGHPUT_PATHS, intentFlows, ONE_CALL_PATHS } from '../node-red/intent-flows';
import type { Sizes } from '../options';
import type { ResultRow, ScenarioResult } from '../result';
import { flowTarget, SLICE_MESSAGES } from './node-red-throughput';

/** aqara-api's throughput over aqara-scene's, running the same scene: the escape hatch costs no more. */
export const API_THROUGHPUT_GOAL = 0.95;
/** Presses and changes per call-count row: enough that one stray call would show. */
const ONE_CALL_RUNS = 50;
/** Off by default in the simulator's account: the first switch turns it on. */
const AUTOMATION_ID = 'AL.200000000000000002';

async function once(red: NodeRedProcess, path: string, body: unknown): Promise<unknown> {
  const answer = await postJson(red, path, body);
  if (answer.status !== 200) throw new Error(`${path}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

function callRow(measure: string, calls: number, runs: number, goal: number | undefined): ResultRow {
  const perRun = calls / runs;
  return {
    measure,
    ours: runs === 1 ? String(calls) : `${fixed(perRun, 2)} (${count(calls)} calls for ${count(runs)})`,
    baseline: '',
    ratio: '',
    goal: goal === undefined ? '' : `= ${goal}`,
    met: goal === undefined ? undefined : perRun === goal,
  };
}

/**
 * What infrared remotes, automations and aqara-api cost, through a real Node-RED with the package:
 * Aqara calls per key press, per air conditioner change and per automation switch (counted by the
 * simulator), and aqara-api running `config.scene.run` against aqara-scene running the same scene,
 * both behind the scene throughput row's driver.
 */
export async function irAndApi(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const sim = fixture.sim;
  const red = await startNodeRed({ ...benchInstall(true), settings: BENCH_SETTINGS });
  try {
    const target = flowTarget(fixture);
    await deployFull(
      red.red,
      intentFlows(target, { tvRemote: TV_REMOTE_DID, acRemote: AC_REMOTE_DID, automation: AUTOMATION_ID }),
    );
    await storeRefreshToken(red.red, CONFIG_ID, sim.issueRefreshToken());
    // The token manager's own refreshes are not the node's calls.
    const nodeCalls = (): number => sim.callCount() - sim.callCount('config.auth.refreshToken');
    const callsOf = async (work: () => Promise<unknown>): Promise<number> => {
      const before = nodeCalls();
      await work();
      return nodeCalls() - before;
    };
    const clicks = (): number => sim.ir.clicks.length;

    // Key presses: the first describes the remote (its device entry, info and keys), then one click each.
    const firstPress = await callsOf(() => once(red.red, ONE_CALL_PATHS.key, { value: 'Power' }));
    const clicksBefore = clicks();
    const presses = await callsOf(async () => {
      for (let i = 0; i < ONE_CALL_RUNS; i++)
        await once(red.red, ONE_CALL_PATHS.key, { value: i % 2 === 0 ? 'Volume +' : 'Volume -' });
    });
    if (clicks() - clicksBefore !== ONE_CALL_RUNS)
      throw new Error('ir: not every key press reached the simulator');

    // Air conditioner: the editor's key list describes the remote; the first change reads the state.
    const keys = await fetch(red.red.urlFor(`aqara/ir-keys?config=${CONFIG_ID}&device=${AC_REMOTE_DID}`));
    if (keys.status !== 200) throw new Error(`ir: GET /aqara/ir-keys answered HTTP ${keys.status}`);
    const unknownState = await callsOf(() => once(red.red, ONE_CALL_PATHS.ac, { power: 'on', mode: 'cool' }));
    const knownState = await callsOf(async () => {
      for (let i = 0; i < ONE_CALL_RUNS; i++)
        await once(red.red, ONE_CALL_PATHS.ac, { temperature: 16 + (i % 15) });
    });
    const lastTemperature = 16 + ((ONE_CALL_RUNS - 1) % 15);
    if (sim.ir.acState(AC_REMOTE_DID) !== `P0_M0_T${lastTemperature}_S0_D0`)
      throw new Error(`ir: the air conditioner ended at ${sim.ir.acState(AC_REMOTE_DID)}`);

    // Automations: the first switch of an id checks that it exists, then one call each.
    const firstSwitch = await callsOf(() => once(red.red, ONE_CALL_PATHS.automation, { value: 'on' }));
    const switches = await callsOf(async () => {
      for (let i = 0; i < ONE_CALL_RUNS; i++)
        await once(red.red, ONE_CALL_PATHS.automation, { value: i % 2 === 0 ? 'off' : 'on' });
    });

    // aqara-api against aqara-scene, same scene, same driver and window as the scene throughput row.
    const messages = sizes.nodeRedMessages;
    const window = sizes.nodeRedWindow;
    const slices = Math.max(1, Math.round(messages / SLICE_MESSAGES));
    const sliceMessages = Math.ceil(messages / slices);
    const drive = (path: string): (() => Promise<void>) =>
      sliceDriver(red.red, path, {
        messages: sliceMessages,
        window,
        calls: () => sim.callCount('config.scene.run'),
      });
    const pid = red.red.pid;
    if (pid === undefined) throw new Error('ir: the Node-RED child has no pid');
    const cpu = childCpuPerRound(
      pid,
      slices,
      sizes.warmupRounds,
      drive(API_THROUGHPUT_PATHS.api),
      drive(API_THROUGHPUT_PATHS.scene),
    );
    const { wall: comparison } = await compareInterleaved(
      cpu.candidate,
      cpu.baseline,
      reportedRounds('aqara-api vs aqara-scene', sizes, slices),
    );
    const cpuRatios = cpu.rounds.candidate.map((ms, round) => ms / cpu.rounds.baseline[round]);
    const perMessage = (ms: number): string => `${fixed((ms / perRound) * 1000, 0)} µs/msg`;
    const perRound = slices * sliceMessages;
    // Throughput is the inverse of time: api/scene throughput = scene time / api time, per round.
    const throughputRatios = comparison.ratios.map((ratio) => 1 / ratio).sort((a, b) => a - b);
    const throughputRatio = 1 / comparison.medianRatio;
    const perSecond = (ms: number): string => `${count(Math.round((perRound / ms) * 1000))} msg/s`;

    return {
      title: 'IR, automations, any intent',
      rows: [
        callRow(
          `key press, remote described: Aqara calls per press (${ONE_CALL_RUNS} presses)`,
          presses,
          ONE_CALL_RUNS,
          1,
        ),
        callRow(
          'first press of a remote not yet described (device entry, info, keys, click)',
          firstPress,
          1,
          undefined,
        ),
        callRow(
          `air conditioner change, state known from the last click: calls per change (${ONE_CALL_RUNS} changes)`,
          knownState,
          ONE_CALL_RUNS,
          1,
        ),
        callRow(
          'air conditioner change, state not known (first change after the key list)',
          unknownState,
          1,
          2,
        ),
        callRow(
          `automation switch, automation known: calls per switch (${ONE_CALL_RUNS} switches)`,
          switches,
          ONE_CALL_RUNS,
          1,
        ),
        callRow(
          'first switch of an automation not yet listed (detail, then the switch)',
          firstSwitch,
          1,
          undefined,
        ),
        {
          measure: `aqara-api running config.scene.run vs aqara-scene, ${count(perRound)} messages, ${window} in flight: throughput (api/scene)`,
          ours: `${duration(comparison.medianCandidateMs)} (${perSecond(comparison.medianCandidateMs)})`,
          baseline: `${duration(comparison.medianBaselineMs)} (${perSecond(comparison.medianBaselineMs)})`,
          ratio: `${fixed(throughputRatio, 2)} (${fixed(throughputRatios[0], 2)}–${fixed(throughputRatios.at(-1) ?? NaN, 2)})`,
          goal: `≥ ${fixed(API_THROUGHPUT_GOAL, 2)}`,
          met: throughputRatio >= API_THROUGHPUT_GOAL,
        },
        {
          measure: 'the same: CPU time of the Node-RED process per message (api/scene)',
          ours: perMessage(median(cpu.rounds.candidate)),
          baseline: perMessage(median(cpu.rounds.baseline)),
          ratio: `${fixed(median(cpuRatios), 2)} (${fixed(Math.min(...cpuRatios), 2)}–${fixed(Math.max(...cpuRatios), 2)})`,
          goal: '',
          met: undefined,
        },
      ],
      notes: [
        'One Node-RED child process with the package loaded from a copy of dist/, on the bench simulator (its default ' +
          'account: a TV remote of 14 keys and an air conditioner remote under a Hub M2, eight automations). Calls are ' +
          'counted by the simulator around each request to an http-in in front of the node; every press and change is ' +
          "checked to have reached the simulator (clicks recorded, the air conditioner's final state).",
        'The air conditioner\'s "state not known" row: the remote was described by the dialog\'s key list ' +
          '(`GET /aqara/ir-keys`), so its change reads the state once (`query.ir.acState`) and clicks; a change within ' +
          '10 minutes of the last click costs the click alone.',
        `Throughput: both chains on one tab behind the scene throughput row's driver (${window} in flight), each with ` +
          "the same change node setting `msg.payload = {sceneId}` (aqara-api's data; aqara-scene ignores it), the same " +
          `scene, ${slices} slices of ${count(sliceMessages)} messages per side per round, taking turns; the config's ` +
          'quota guard is off (`rateLimit` 0), as in that row. The ratio is throughput, so higher is better: the median of ' +
          "the per-round ratios, smallest and largest in brackets. The CPU row reads the Node-RED child's user + system " +
          'time from /proc around each slice (the simulator runs in the bench process, so it is not in it): what each ' +
          'chain costs Node-RED, which waiting for a core on a busy machine does not inflate; lower is better there.',
      ],
      raw: {
        firstPress,
        presses,
        unknownState,
        knownState,
        firstSwitch,
        switches,
        runs: ONE_CALL_RUNS,
        messages: perRound,
        window,
        comparison,
        throughputRatios,
        cpuRounds: cpu.rounds,
        cpuRatios,
      },
    };
  } finally {
    await red.stop();
  }
}
