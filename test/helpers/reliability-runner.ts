import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/repo';
import { makeTempDir } from '../../support/temp-dir';

/**
 * `npm run test:reliability` at the FAST preset, driven through its command line as a user would run
 * it (the tests do not import the tools), with every scenario's figures read back from its --json file.
 */

/** A scenario's outcome as the runner writes it; the figures are read by name in each test. */
export interface Outcome {
  figures: Record<string, unknown>;
  violations: string[];
}

export interface FastRun {
  results: Record<string, Outcome | Outcome[] | undefined> & {
    processes: Outcome[];
    aborted: { scenario: string; message: string }[];
  };
  report: string;
  /** What the runner printed, for the failure message. */
  output: string;
  exitCode: number | null;
}

const RUNNER = join(REPO_ROOT, 'tools', 'reliability', 'run-reliability.ts');

export async function runFastReliability(only: readonly string[], seed: string): Promise<FastRun> {
  const temp = makeTempDir('aqara-reliability-run-');
  try {
    const json = join(temp.path, 'results.json');
    const out = join(temp.path, 'report.md');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', RUNNER, '--fast', `--only=${only.join(',')}`, `--json=${json}`, `--out=${out}`],
      { cwd: REPO_ROOT, env: { ...process.env, RELIABILITY_SEED: seed }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    let results: FastRun['results'];
    try {
      results = JSON.parse(readFileSync(json, 'utf8')) as FastRun['results'];
    } catch {
      throw new Error(`the reliability runner wrote no results (exit ${exitCode}):\n${output}`);
    }
    return { results, report: readFileSync(out, 'utf8'), output, exitCode };
  } finally {
    temp.remove();
  }
}

/** A scenario's outcome, failing with what the runner said when it is missing. */
export function outcomeOf(run: FastRun, name: string): Outcome {
  const outcome = run.results[name];
  if (!outcome || Array.isArray(outcome))
    throw new Error(`no outcome for ${name}; aborted: ${JSON.stringify(run.results.aborted)}\n${run.output}`);
  return outcome;
}

/** A figure that must be a number. */
export function count(outcome: Outcome, name: string): number {
  const value = outcome.figures[name];
  if (typeof value !== 'number') throw new Error(`figure ${name} is ${JSON.stringify(value)}, not a number`);
  return value;
}

/** Rows of a figure table (cloud faults, database faults, fuzz, leak). */
export function rows(outcome: Outcome): Record<string, unknown>[] {
  const value = outcome.figures.rows;
  if (!Array.isArray(value)) throw new Error('the outcome has no rows');
  return value as Record<string, unknown>[];
}
