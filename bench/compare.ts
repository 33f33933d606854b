import { max, median, min } from './stats';

/**
 * Candidate against baseline, both measured in the same process minutes apart, so that the machine,
 * its clock speed and whatever else runs on it weigh on both alike. The order alternates every round:
 * a slow drift (thermal throttling, a growing heap, a neighbour's build) then favours each side equally.
 */

export interface Contender {
  /**
   * One measured batch. It returns its own elapsed milliseconds so that untimed preparation (a fresh
   * token manager, a new connection pool) can live inside it without being counted.
   */
  once(): Promise<number>;
}

export interface ComparisonOptions {
  rounds: number;
  /** Untimed batches of each side first: JIT, connection pools and caches reach their steady state. */
  warmupRounds: number;
  /** Called after every timed batch, for progress output. */
  onBatch?: (side: 'candidate' | 'baseline', round: number, ms: number) => void;
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

export async function compareAlternating(
  candidate: Contender,
  baseline: Contender,
  options: ComparisonOptions,
): Promise<Comparison> {
  for (let i = 0; i < options.warmupRounds; i++) {
    await candidate.once();
    await baseline.once();
  }
  const candidateMs: number[] = [];
  const baselineMs: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const order: ('candidate' | 'baseline')[] =
      round % 2 === 0 ? ['candidate', 'baseline'] : ['baseline', 'candidate'];
    for (const side of order) {
      const ms = await (side === 'candidate' ? candidate : baseline).once();
      (side === 'candidate' ? candidateMs : baselineMs).push(ms);
      options.onBatch?.(side, round, ms);
    }
  }
  return summarize(candidateMs, baselineMs);
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
