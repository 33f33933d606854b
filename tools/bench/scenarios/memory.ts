import { fork } from 'node:child_process';
import { join } from 'node:path';
import { makeTempDir } from '../../../support/temp-dir';
import { BENCH_SCENE_ID, type BenchFixture } from '../fixture';
import { count, mebibytes } from '../format';
import type { Sizes } from '../options';
import { REPO_ROOT } from '../bench-paths';
import { progress } from '../progress';
import type { ScenarioResult } from '../result';
import type { MemoryAnswer, MemoryJob } from './memory-protocol';

const GOAL_GROWTH_BYTES = 5 * 1024 * 1024;
const WINDOW = 8;
/** 100,000 runs take well under a minute here; a child that is still busy after this is stuck. */
const CHILD_TIMEOUT_MS = 5 * 60 * 1000;

/** Runs one side in a fresh `node --expose-gc` child and returns its heap readings. */
function runChild(job: MemoryJob): Promise<Extract<MemoryAnswer, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'memory-child.ts'), [], {
      cwd: REPO_ROOT,
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answer: MemoryAnswer | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('message', (message: MemoryAnswer) => {
      answer = message;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer?.ok) resolve(answer);
      else
        reject(
          new Error(answer ? answer.error : `memory child exited (${signal ?? code}) without an answer`),
        );
    });
    child.send(job);
  });
}

/**
 * Heap growth between 1,000 and 100,000 scene runs through one token manager: anything kept per call
 * (a listener, a timer, a cache entry) shows up as growth. The bare client is measured the same way,
 * so what Node itself keeps (e.g. its socket pool) is visible as the baseline's growth.
 */
export async function memoryGrowth(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const temp = makeTempDir('aqara-bench-mem-');
  try {
    const poster = fixture.newPoster();
    const { accessToken } = await poster.fetchAccessToken(fixture.sim.issueRefreshToken());
    poster.close();
    const { appId, keyId, appKey } = fixture.app;
    const job = (side: MemoryJob['side']): MemoryJob => ({
      side,
      baseUrl: fixture.sim.baseUrl,
      appId,
      keyId,
      appKey,
      sceneId: BENCH_SCENE_ID,
      refreshToken: side === 'ours' ? fixture.sim.issueRefreshToken() : '',
      accessToken: side === 'baseline' ? accessToken : '',
      dbPath: join(temp.path, side, 'tokens.db'),
      lowRuns: sizes.memoryLowRuns,
      highRuns: sizes.memoryHighRuns,
      window: WINDOW,
    });
    const ours = await runChild(job('ours'));
    progress(`memory ours: ${Math.round(ours.ms)} ms`);
    const baseline = await runChild(job('baseline'));
    progress(`memory baseline: ${Math.round(baseline.ms)} ms`);
    const growth = ours.afterHigh.heapUsed - ours.afterLow.heapUsed;
    const baselineGrowth = baseline.afterHigh.heapUsed - baseline.afterLow.heapUsed;
    return {
      title: 'Memory',
      rows: [
        {
          measure: `heap growth from ${count(sizes.memoryLowRuns)} to ${count(sizes.memoryHighRuns)} scene runs`,
          ours: `${mebibytes(growth)} (${mebibytes(ours.afterLow.heapUsed)} → ${mebibytes(ours.afterHigh.heapUsed)})`,
          baseline: `${mebibytes(baselineGrowth)} (${mebibytes(baseline.afterLow.heapUsed)} → ${mebibytes(baseline.afterHigh.heapUsed)})`,
          ratio: '',
          goal: `< ${mebibytes(GOAL_GROWTH_BYTES)}`,
          met: growth < GOAL_GROWTH_BYTES,
        },
      ],
      notes: [
        `Each side in a fresh \`node --expose-gc\` child (the simulator stays in the bench process, so its own records ` +
          `do not count), ${WINDOW} runs in flight; heapUsed read after repeated gc() at ${count(sizes.memoryLowRuns)} and ` +
          `at ${count(sizes.memoryHighRuns)} runs. A growth ratio is not shown: the baseline's growth is close to zero.`,
      ],
      raw: { ours, baseline, growth, baselineGrowth },
    };
  } finally {
    temp.remove();
  }
}
