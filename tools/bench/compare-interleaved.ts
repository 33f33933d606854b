import { performance } from 'node:perf_hooks';
import { processCpuMs, summarize, type TimedComparison } from './compare';
import type { Sizes } from './options';
import { progress } from './progress';

/**
 * For work that splits into small slices (sequential calls): every round runs candidate and baseline
 * slice by slice, taking turns, and adds up each side's time. Load from other processes on a shared
 * machine comes and goes within seconds; slices of a few dozen milliseconds put both sides under the
 * same load, which whole batches one after the other do not. CPU time of this process is summed too:
 * it does not count the time spent waiting for the CPU, so it stays comparable when the machine is busy.
 */

export interface InterleavedOptions {
  rounds: number;
  warmupRounds: number;
  slicesPerRound: number;
  onRound?: (round: number, candidateMs: number, baselineMs: number) => void;
}

/** The rounds `sizes` asks for, each reported as a progress line that starts with `label`. */
export function reportedRounds(label: string, sizes: Sizes, slicesPerRound: number): InterleavedOptions {
  return {
    rounds: sizes.rounds,
    warmupRounds: sizes.warmupRounds,
    slicesPerRound,
    onRound: (round, ours, baseline) =>
      progress(
        `${label} round ${round + 1}: ours ${Math.round(ours)} ms, baseline ${Math.round(baseline)} ms`,
      ),
  };
}

export async function compareInterleaved(
  candidateSlice: () => Promise<void>,
  baselineSlice: () => Promise<void>,
  options: InterleavedOptions,
): Promise<TimedComparison> {
  const wall = { candidate: [] as number[], baseline: [] as number[] };
  const cpu = { candidate: [] as number[], baseline: [] as number[] };
  for (let round = -options.warmupRounds; round < options.rounds; round++) {
    const sums = { candidate: { wall: 0, cpu: 0 }, baseline: { wall: 0, cpu: 0 } };
    for (let slice = 0; slice < options.slicesPerRound; slice++) {
      const order =
        (slice + Math.max(round, 0)) % 2 === 0
          ? (['candidate', 'baseline'] as const)
          : (['baseline', 'candidate'] as const);
      for (const side of order) {
        const wallStart = performance.now();
        const cpuStart = processCpuMs();
        await (side === 'candidate' ? candidateSlice() : baselineSlice());
        sums[side].cpu += processCpuMs() - cpuStart;
        sums[side].wall += performance.now() - wallStart;
      }
    }
    if (round < 0) continue;
    wall.candidate.push(sums.candidate.wall);
    wall.baseline.push(sums.baseline.wall);
    cpu.candidate.push(sums.candidate.cpu);
    cpu.baseline.push(sums.baseline.cpu);
    options.onRound?.(round, sums.candidate.wall, sums.baseline.wall);
  }
  return { wall: summarize(wall.candidate, wall.baseline), cpu: summarize(cpu.candidate, cpu.baseline) };
}
