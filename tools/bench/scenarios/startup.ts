import { performance } from 'node:perf_hooks';
import { NodeRedProcess } from '../../../support/node-red-process';
import { type BenchFixture } from '../fixture';
import { duration, fixed } from '../format';
import { deployFull, storeRefreshToken } from '../node-red/admin';
import { CONFIG_ID, onceBaselineFlows, onceOursFlows } from '../node-red/flows';
import { prepareUserDir, type UserDir } from '../../../support/node-red';
import { BENCH_SETTINGS, benchInstall } from '../node-red/bench-settings';
import type { Sizes } from '../options';
import { progress } from '../progress';
import type { ResultRow, ScenarioResult } from '../result';
import { median } from '../medians';
import { flowTarget } from './node-red-throughput';

const GOAL_ADDED_MS = 150;

interface Variant {
  key: string;
  userDir: UserDir;
  ms: number[];
}

/** Spawn to "Started flows" with the admin API answering: what a user waits for after a restart. */
async function timeStart(userDir: string): Promise<number> {
  const started = performance.now();
  const red = await NodeRedProcess.start({ userDir, settings: { ...BENCH_SETTINGS } });
  const elapsed = performance.now() - started;
  await red.stop();
  return elapsed;
}

/** Lets Node-RED itself write a user directory's flows and encrypted credentials, once and untimed. */
async function prepare(userDir: UserDir, setup: (red: NodeRedProcess) => Promise<void>): Promise<void> {
  const red = await NodeRedProcess.start({ userDir: userDir.path, settings: { ...BENCH_SETTINGS } });
  try {
    await setup(red);
  } finally {
    await red.stop();
  }
}

function compare(measure: string, ours: Variant, baseline: Variant): ResultRow {
  // Starts of the same round ran close together, so their difference carries the least drift.
  const added = ours.ms.map((ms, round) => ms - baseline.ms[round]);
  const ratios = ours.ms.map((ms, round) => ms / baseline.ms[round]);
  const addedMedian = median(added);
  return {
    measure,
    ours: `${duration(median(ours.ms))} (${addedMedian >= 0 ? '+' : ''}${fixed(addedMedian, 0)} ms)`,
    baseline: duration(median(baseline.ms)),
    ratio: `${fixed(median(ratios), 2)} (${fixed(Math.min(...ratios), 2)}–${fixed(Math.max(...ratios), 2)})`,
    goal: `≤ +${GOAL_ADDED_MS} ms`,
    met: addedMedian <= GOAL_ADDED_MS,
  };
}

/**
 * Node-RED start-up, two pairs: the package installed against not installed (both with empty flows),
 * and a flow that runs a scene with the package (config + aqara-scene: the token database is opened
 * at start) against the hand-written flow doing the same without the package. Each variant has its own
 * user directory, prepared before the timed starts; the order of the four rotates every round.
 */
export async function nodeRedStartup(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const variants: Variant[] = [];
  const add = (key: string, withPackage: boolean): Variant => {
    const variant: Variant = { key, userDir: prepareUserDir(benchInstall(withPackage)), ms: [] };
    variants.push(variant);
    return variant;
  };
  try {
    const without = add('without package, no flows', false);
    const installed = add('package installed, no flows', true);
    const handWritten = add('without package, hand-written flow', false);
    const inUse = add('package installed, its flow', true);
    const target = flowTarget(fixture);
    await prepare(handWritten.userDir, (red) => deployFull(red, onceBaselineFlows(target)));
    await prepare(inUse.userDir, async (red) => {
      await deployFull(red, onceOursFlows(target));
      await storeRefreshToken(red, CONFIG_ID, fixture.sim.issueRefreshToken());
    });

    // One untimed start of each: the OS file cache then holds Node-RED and the package for every variant.
    for (const variant of variants) await timeStart(variant.userDir.path);
    for (let round = 0; round < sizes.startupRounds; round++) {
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(round + i) % variants.length];
        const ms = await timeStart(variant.userDir.path);
        variant.ms.push(ms);
        progress(`startup round ${round + 1}, ${variant.key}: ${Math.round(ms)} ms`);
      }
    }

    return {
      title: 'Start-up',
      rows: [
        compare('Node-RED start, package installed vs. not (no flows): added time', installed, without),
        compare(
          'Node-RED start, flow running a scene with the package vs. hand-written flow: added time',
          inUse,
          handWritten,
        ),
      ],
      notes: [
        'Time from spawning `node red.js` to the admin API answering and "Started flows" logged, each variant in its ' +
          `own user directory; ${sizes.startupRounds} rounds after one untimed start of each, the order of the four ` +
          'rotating every round. "Added time" is the median of the per-round differences.',
        'The flows of the second pair are those of the redeploy scenario: http-in → aqara-scene (with its aqara-config ' +
          'and a stored refresh token) against http-in → function (sign) → http request → function (check).',
      ],
      raw: Object.fromEntries(variants.map((variant) => [variant.key, variant.ms])),
    };
  } finally {
    for (const variant of variants) variant.userDir.remove();
  }
}
