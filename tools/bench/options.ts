import { parseArgs } from 'node:util';

/** The scenarios, in the order they run and appear in the table. */
export const SCENARIO_IDS = [
  'per-call',
  'cold-burst',
  'node-red',
  'startup',
  'memory',
  'redeploys',
  'devices',
  'push',
  'ir',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** How much work each scenario does. The full set is what docs/benchmarks.md reports. */
export interface Sizes {
  /** Timed rounds of every comparison (candidate and baseline each once per round). */
  rounds: number;
  warmupRounds: number;
  perCallCalls: number;
  /** Sequential calls per round against the simulator answering after DELAYED_ANSWER_MS. */
  perCallDelayedCalls: number;
  burstSize: number;
  nodeRedMessages: number;
  /** Messages in flight at once in the Node-RED throughput flows. */
  nodeRedWindow: number;
  startupRounds: number;
  memoryLowRuns: number;
  memoryHighRuns: number;
  redeploys: number;
  /** Pushes per side per timed round of the push comparison. */
  pushMessages: number;
  /** Pushes in flight at once (Aqara's side of the connection pool). */
  pushWindow: number;
  /** The run that checks nothing is lost or emitted twice; 5 % of it are duplicates. */
  pushDuplicateRun: number;
  /** Real polls of 50 devices x 4 resources, at a shortened interval. */
  pollRuns: number;
}

const FULL: Sizes = {
  rounds: 5,
  warmupRounds: 1,
  perCallCalls: 5_000,
  perCallDelayedCalls: 300,
  burstSize: 1_000,
  nodeRedMessages: 10_000,
  nodeRedWindow: 16,
  startupRounds: 5,
  memoryLowRuns: 1_000,
  memoryHighRuns: 100_000,
  redeploys: 100,
  pushMessages: 2_000,
  pushWindow: 16,
  pushDuplicateRun: 10_000,
  pollRuns: 5,
};

/** A smoke run: every code path, a fraction of the work; its numbers are not for the docs. */
const QUICK: Sizes = {
  rounds: 3,
  warmupRounds: 1,
  perCallCalls: 1_000,
  perCallDelayedCalls: 60,
  burstSize: 300,
  nodeRedMessages: 1_000,
  nodeRedWindow: 16,
  startupRounds: 2,
  memoryLowRuns: 1_000,
  memoryHighRuns: 10_000,
  redeploys: 10,
  pushMessages: 400,
  pushWindow: 16,
  pushDuplicateRun: 1_000,
  pollRuns: 2,
};

export interface BenchOptions {
  quick: boolean;
  sizes: Sizes;
  scenarios: ScenarioId[];
  /** Where the markdown report goes; undefined: stdout only (the default of a quick run). */
  out: string | undefined;
  /** Where every raw number goes as JSON, if anywhere. */
  json: string | undefined;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only ${SCENARIO_IDS.join(',')}] [--out FILE] [--json FILE]
  --quick   a short smoke run; prints the table but does not overwrite docs/benchmarks.md unless --out is given
  --only    run only these scenarios (comma-separated)
  --out     write the markdown report here (default docs/benchmarks.md for a full run)
  --json    also write every raw measurement as JSON to this file
  AQARA_BENCH_DIST=DIR measures another build of the package (e.g. with a proposed fix) instead of dist/`;

function isScenarioId(text: string): text is ScenarioId {
  return (SCENARIO_IDS as readonly string[]).includes(text);
}

export function readOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  let scenarios: ScenarioId[] = [...SCENARIO_IDS];
  if (values.only !== undefined) {
    const wanted = values.only.split(',').map((id) => id.trim());
    const unknown = wanted.filter((id) => !isScenarioId(id));
    if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}\n${USAGE}`);
    scenarios = SCENARIO_IDS.filter((id) => wanted.includes(id));
  }
  // A partial or quick run, or one of another build, must not replace the committed report by accident.
  const complete = !quick && scenarios.length === SCENARIO_IDS.length && !process.env.AQARA_BENCH_DIST;
  return {
    quick,
    sizes: quick ? QUICK : FULL,
    scenarios,
    out: values.out ?? (complete ? 'docs/benchmarks.md' : undefined),
    json: values.json,
  };
}
