import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { BenchFixture } from './fixture';
import { describeMachine } from './machine';
import { readOptions, type BenchOptions, type ScenarioId } from './options';
import { DIST_DIR, REPO_ROOT } from './bench-paths';
import { progress } from './progress';
import { renderMarkdown, renderTable, type Report } from './bench-report';
import type { ScenarioResult } from './result';
import { coldBurst } from './scenarios/cold-burst';
import { deviceCosts } from './scenarios/device-benches';
import { irAndApi } from './scenarios/ir-api';
import { memoryGrowth } from './scenarios/memory';
import { nodeRedThroughput } from './scenarios/node-red-throughput';
import { perCallOverhead } from './scenarios/per-call';
import { pushEndpoint } from './scenarios/push-benches';
import { redeploys } from './scenarios/redeploys';
import { nodeRedStartup } from './scenarios/startup';

/** Every scenario uses the shared simulator; the Node-RED ones start their own Node-RED children too. */
type Scenario = (options: BenchOptions, fixture: () => Promise<BenchFixture>) => Promise<ScenarioResult>;

const SCENARIOS: Record<ScenarioId, { title: string; run: Scenario }> = {
  'per-call': { title: 'Per-call overhead', run: async (o, f) => perCallOverhead(await f(), o.sizes) },
  'cold-burst': { title: 'Cold burst', run: async (o, f) => coldBurst(await f(), o.sizes) },
  'node-red': { title: 'Node-RED throughput', run: async (o, f) => nodeRedThroughput(await f(), o.sizes) },
  startup: { title: 'Start-up', run: async (o, f) => nodeRedStartup(await f(), o.sizes) },
  memory: { title: 'Memory', run: async (o, f) => memoryGrowth(await f(), o.sizes) },
  redeploys: { title: 'Redeploys', run: async (o, f) => redeploys(await f(), o.sizes) },
  devices: { title: 'Devices', run: async (o, f) => deviceCosts(await f(), o.sizes) },
  push: { title: 'Push', run: async (o, f) => pushEndpoint(await f(), o.sizes) },
  ir: { title: 'IR, automations, any intent', run: async (o, f) => irAndApi(await f(), o.sizes) },
};

function methodNotes(options: BenchOptions): string[] {
  const { sizes } = options;
  return [
    `${sizes.rounds} timed rounds per comparison (${sizes.rounds * 2} for the short cold burst) after ` +
      `${sizes.warmupRounds} untimed warm-up round(s); the order of ours and the baseline alternates every round so ` +
      'slow drift favours neither. The ratio column is the median of the per-round ratios, with the smallest and ' +
      'largest round in brackets.',
    'Ratios below 1 mean ours is faster (for times) — except where the measure says "throughput".',
    process.env.AQARA_BENCH_DIST
      ? `**Measured build: ${DIST_DIR} (AQARA_BENCH_DIST), not this repository's dist/.**`
      : 'The package is measured as built by `npm run build` (dist/); Node-RED loads a snapshot copy of that build.',
    'The simulator runs in the bench process on 127.0.0.1 without added delay (except the rows that say 20 ms; the ' +
      'Devices latency rows run it in a child process), with its listen backlog raised to ' +
      "4096 for the bench (Node's default 511 overflows in the 1,000-connection burst and adds Linux's 1 s SYN retry " +
      'to both sides).',
  ];
}

/** The report is committed: formatted as `prettier --check` expects, so a fresh run keeps lint clean. */
async function formatMarkdown(text: string, file: string): Promise<string> {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...config, filepath: file });
}

/**
 * Every loop in the bench is bounded and every wait has its own timeout; this is the last line should
 * something still hang. Exiting runs the 'exit' hooks, which kill any Node-RED child still running.
 */
function startWatchdog(quick: boolean): void {
  const limitMs = (quick ? 5 : 25) * 60 * 1000;
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${limitMs / 60_000} minutes, giving up\n`);
    process.exit(1);
  }, limitMs).unref();
  // Ctrl-C: leave through process.exit so the same hooks stop the children.
  process.once('SIGINT', () => process.exit(130));
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  startWatchdog(options.quick);
  const loadAtStart = os.loadavg()[0];
  const machine = describeMachine();
  progress(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, Node-RED ${machine.nodeRed}`,
  );

  let fixture: BenchFixture | undefined;
  const sharedFixture = async (): Promise<BenchFixture> => (fixture ??= await BenchFixture.start());
  const results: ScenarioResult[] = [];
  const failures: Report['failures'] = [];
  try {
    for (const id of options.scenarios) {
      const scenario = SCENARIOS[id];
      progress(`${scenario.title}: starting`);
      try {
        results.push(await scenario.run(options, sharedFixture));
      } catch (error) {
        const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
        progress(`${scenario.title} failed: ${text}`);
        failures.push({
          title: scenario.title,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  } finally {
    await fixture?.close();
  }

  const report: Report = {
    generatedAt: new Date(),
    quick: options.quick,
    machine,
    load: { start: loadAtStart, end: os.loadavg()[0] },
    results,
    failures,
    method: methodNotes(options),
  };
  process.stdout.write(`${renderTable(results)}\n`);
  for (const failure of failures) process.stdout.write(`NOT RUN: ${failure.title}: ${failure.error}\n`);
  if (options.out !== undefined) {
    const file = resolve(REPO_ROOT, options.out);
    writeFileSync(file, await formatMarkdown(renderMarkdown(report), file));
    progress(`report written to ${file}`);
  }
  if (options.json !== undefined) {
    const file = resolve(REPO_ROOT, options.json);
    writeFileSync(file, `${JSON.stringify({ ...report, method: undefined }, null, 2)}\n`);
    progress(`raw results written to ${file}`);
  }
  // A scenario that could not run is a broken bench, not a slow package: say so in the exit code.
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
