import { performance } from 'node:perf_hooks';
import { max, median, min } from './medians';

/**
 * Candidate against baseline, both measured in the same process minutes apart, so that the machine,
 * its clock speed and whatever else runs on it weigh on both alike. The order alternates every round:
 * a slow drift (thermal throttling, a growing heap, a neighbour's build) then favours each side equally.
 */

/** Wall time, and CPU time of this process (user + system) over the same span. */
export interface Timing {
  wallMs: number;
  /**
   * Does not count time spent waiting for a core, so it stays comparable while other processes load
   * the machine; it does count whatever else runs in this process (the simulator, on both sides alike).
   */
  cpuMs: number;
}

export function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Times `work` alone: preparation before and cleanup after the call stay out of the figure. */
export async function timed(work: () => Promise<unknown>): Promise<Timing> {
  const wallStart = performance.now();
  const cpuStart = processCpuMs();
  await work();
  return { cpuMs: processCpuMs() - cpuStart, wallMs: performance.now() - wallStart };
}

export interface Contender {
  /** One batch, returning the timing of its measured part (see timed()). */
  once(): Promise<Timing>;
}

export interface ComparisonOptions {
  rounds: number;
  /** Untimed batches of each side first: JIT, connection pools and caches reach their steady state. */
  warmupRounds: number;
  /** Called after every timed batch, for progress output. */
  onBatch?: (side: 'candidate' | 'baseline', round: number, timing: Timing) => void;
}

export interface Comparison {
  candidateMs: number[];
  baselineMs: number[];
  /** candidate / baseline of each round. */
  ratios: number[];
  medianCandidateMs: number;
  medianBaselineMs: number;
  /** The median of the per-round ratios: each ratio pairs two batches that ran back to back. */
  medianRatio: number;
  minRatio: number;
  maxRatio: number;
}

export interface TimedComparison {
  wall: Comparison;
  cpu: Comparison;
}

export async function compareAlternating(
  candidate: Contender,
  baseline: Contender,
  options: ComparisonOptions,
): Promise<TimedComparison> {
  for (let i = 0; i < options.warmupRounds; i++) {
    await candidate.once();
    await baseline.once();
  }
  const timings = { candidate: [] as Timing[], baseline: [] as Timing[] };
  for (let round = 0; round < options.rounds; round++) {
    const order =
      round % 2 === 0 ? (['candidate', 'baseline'] as const) : (['baseline', 'candidate'] as const);
    for (const side of order) {
      const timing = await (side === 'candidate' ? candidate : baseline).once();
      timings[side].push(timing);
      options.onBatch?.(side, round, timing);
    }
  }
  const pick = (side: Timing[], key: keyof Timing): number[] => side.map((timing) => timing[key]);
  return {
    wall: summarize(pick(timings.candidate, 'wallMs'), pick(timings.baseline, 'wallMs')),
    cpu: summarize(pick(timings.candidate, 'cpuMs'), pick(timings.baseline, 'cpuMs')),
  };
}

export function summarize(candidateMs: number[], baselineMs: number[]): Comparison {
  const ratios = candidateMs.map((ms, i) => ms / baselineMs[i]);
  return {
    candidateMs,
    baselineMs,
    ratios,
    medianCandidateMs: median(candidateMs),
    medianBaselineMs: median(baselineMs),
    medianRatio: median(ratios),
    minRatio: min(ratios),
    maxRatio: max(ratios),
  };
}
