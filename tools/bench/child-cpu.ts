import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time (user + system) another process has used so far, from /proc/<pid>/stat: what a Node-RED
 * child spends on a slice of messages, which time spent waiting for a core does not inflate on a
 * busy machine. Linux only; resolution one clock tick (10 ms at the usual 100 Hz).
 */
let ticksPerSecond: number | undefined;

export function childCpuMs(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
}

/**
 * Wraps the two slice functions of an interleaved comparison so the child's CPU time is summed per
 * side and per timed round (the warm-up rounds' slices are left out).
 */
export function childCpuPerRound(
  pid: number,
  slicesPerRound: number,
  warmupRounds: number,
  candidate: () => Promise<void>,
  baseline: () => Promise<void>,
): {
  candidate: () => Promise<void>;
  baseline: () => Promise<void>;
  rounds: { candidate: number[]; baseline: number[] };
} {
  const rounds = { candidate: [] as number[], baseline: [] as number[] };
  const wrap = (side: 'candidate' | 'baseline', slice: () => Promise<void>) => {
    let slicesDone = 0;
    return async () => {
      const before = childCpuMs(pid);
      await slice();
      const spent = childCpuMs(pid) - before;
      const round = Math.floor(slicesDone / slicesPerRound) - warmupRounds;
      slicesDone += 1;
      if (round < 0) return;
      rounds[side][round] = (rounds[side][round] ?? 0) + spent;
    };
  };
  return { candidate: wrap('candidate', candidate), baseline: wrap('baseline', baseline), rounds };
}
