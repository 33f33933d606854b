import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { NODE_RED_MAIN, NodeRedProcess } from '../../support/node-red-process';
import { isPortFree } from '../../support/ports';
import { NodeRedAdmin } from './admin-client';
import { DEMO_CONFIG_ID, demoFlow, retargetSimulator } from './flow';
import { DEMO_DIR, FLOWS_FILE, HOST, NODE_RED_PORT, REPO_ROOT, TOKEN_DB_FILE, USER_DIR } from './demo-paths';
import { ensureRefreshToken } from './refresh-token';
import { DEMO_SETTINGS } from './settings';
import { DEMO_APP, DEMO_SCENES, type DemoSimulator, startDemoSimulator } from './simulator';

/**
 * `npm start`: the Aqara simulator, a Node-RED that loads this package straight from the build, and a
 * demo flow that already holds a working refresh token. State lives in .demo/, so a second `npm start`
 * picks up where the first left off (the user's flow edits, the rotated token, the simulator's ledger).
 * SIGINT or SIGTERM (Ctrl+C, or either sent to npm, whose script execs this process) stops Node-RED
 * and the simulator, and the process exits once both ports are released.
 */

const STARTUP_TIMEOUT_MS = 60_000;
const BUILT_NODE = join(REPO_ROOT, 'dist', 'nodes', 'aqara-config.js');

/** Inside the repository a short relative path; a state folder elsewhere (AQARA_DEMO_DIR) in full. */
function shown(path: string): string {
  const inside = relative(REPO_ROOT, path);
  return inside.startsWith('..') ? path : inside;
}

function say(line: string): void {
  process.stdout.write(`[demo] ${line}\n`);
}

/**
 * A Node-RED with no flow at all (first run, or everything was deleted) gets the demo: first its config
 * node alone, so a refresh token can be stored before any node uses it (a device-in started without one
 * would show an error and wait 30 s to try again), then the whole flow. Otherwise the user's flow stays,
 * and only the demo config node follows a moved simulator.
 */
async function provision(admin: NodeRedAdmin, red: NodeRedProcess, sim: DemoSimulator): Promise<void> {
  const flows = await admin.getFlows();
  const fresh = flows.length === 0;
  const demo = demoFlow(sim.url, DEMO_APP, DEMO_SCENES);
  if (fresh) {
    await admin.deployFlows(demo.filter((node) => node.type === 'tab' || node.id === DEMO_CONFIG_ID));
  } else {
    const moved = retargetSimulator(flows, sim.url);
    if (moved) {
      await admin.deployFlows(moved);
      say(`pointed the demo config node at the simulator's new address ${sim.url}`);
    }
    if (!flows.some((flowNode) => flowNode.id === DEMO_CONFIG_ID)) {
      say(
        `the demo config node (${DEMO_CONFIG_ID}) is no longer in the flow, so no refresh token was provisioned`,
      );
      return;
    }
  }
  const status = await admin.waitForConfig(DEMO_CONFIG_ID, () => red.running, STARTUP_TIMEOUT_MS);
  const outcome = await ensureRefreshToken(
    admin,
    sim.simulator,
    DEMO_CONFIG_ID,
    status.body.configured === true,
  );
  const where = shown(TOKEN_DB_FILE);
  if (outcome === 'kept') say(`the refresh token in ${where} is still valid on the simulator`);
  else if (outcome === 'stored') say(`stored a refresh token from the simulator in ${where}`);
  else say(`the simulator no longer knew the token in ${where}; stored a fresh one`);
  if (fresh) {
    await admin.deployFlows(demo);
    say(`deployed the demo flow to ${shown(FLOWS_FILE)}`);
  }
}

async function main(): Promise<number> {
  if (!existsSync(NODE_RED_MAIN)) {
    process.stderr.write('node_modules/node-red is missing: run `npm install` first\n');
    return 1;
  }
  if (!existsSync(BUILT_NODE)) {
    process.stderr.write('dist/ is missing: run `npm start` (it builds first) or `npm run build`\n');
    return 1;
  }
  // Checked before anything starts: a second demo on the same user directory would corrupt its state.
  if (NODE_RED_PORT !== 0 && !(await isPortFree(HOST, NODE_RED_PORT))) {
    process.stderr.write(
      `port ${NODE_RED_PORT} on ${HOST} is in use (another Node-RED, or a demo still running?); stop it and retry\n`,
    );
    return 1;
  }
  mkdirSync(USER_DIR, { recursive: true, mode: 0o700 });

  const stop = new AbortController();
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) return;
    say(`${signal}: stopping Node-RED and the simulator`);
    stop.abort();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const sim = await startDemoSimulator();
  say(`Aqara simulator: ${sim.url}${sim.onPreferredPort ? '' : ' (the preferred port was taken)'}`);
  let red: NodeRedProcess | undefined;
  let failed = false;
  try {
    red = await NodeRedProcess.start({
      userDir: USER_DIR,
      settings: DEMO_SETTINGS,
      port: NODE_RED_PORT,
      echo: true,
      startTimeoutMs: STARTUP_TIMEOUT_MS,
      signal: stop.signal,
    });
    await provision(new NodeRedAdmin(red.url), red, sim);
    say(
      `Node-RED editor: ${red.url} (Node-RED pid ${red.pid}, demo pid ${process.pid}; Ctrl+C stops the demo)`,
    );
    const exited = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()));
    await Promise.race([exited, red.waitForExit()]);
  } catch (error) {
    // A start-up step that fails because the demo is being stopped is no failure.
    if (!stop.signal.aborted) {
      process.stderr.write(
        `[demo] setup failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      failed = true;
    }
  }
  const code = (await red?.stop()) ?? 0;
  await sim.simulator.stop();
  process.off('SIGINT', shutdown);
  process.off('SIGTERM', shutdown);
  say(`stopped (state kept in ${shown(DEMO_DIR)})`);
  // Stopping on request is a clean end; Node-RED ending by itself is reported with its own code.
  if (failed) return 1;
  return stop.signal.aborted ? 0 : (code ?? 1);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[demo] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
