import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { NodeRedAdmin } from './admin-client';
import { DEMO_CONFIG_ID, demoFlow, retargetSimulator } from './flow';
import { NodeRedChild } from './node-red-child';
import { DEMO_DIR, FLOWS_FILE, HOST, NODE_RED_MAIN, NODE_RED_PORT, REPO_ROOT, TOKEN_DB_FILE } from './paths';
import { isPortFree } from './ports';
import { ensureRefreshToken } from './refresh-token';
import { writeDemoSettings } from './settings';
import { DEMO_APP, DEMO_SCENES, type DemoSimulator, startDemoSimulator } from './simulator';

/**
 * `npm start`: the Aqara simulator, a Node-RED that loads this package straight from the build, and a
 * demo flow that already holds a working refresh token. State lives in .demo/, so a second `npm start`
 * picks up where the first left off (the user's flow edits, the rotated token, the simulator's ledger).
 */

const STARTUP_TIMEOUT_MS = 60_000;
const BUILT_NODE = join(REPO_ROOT, 'dist', 'nodes', 'aqara-config.js');
const EDITOR_URL = `http://${HOST}:${NODE_RED_PORT}`;

function say(line: string): void {
  process.stdout.write(`[demo] ${line}\n`);
}

/**
 * Deploys the demo flow when Node-RED has no flow at all (first run, or everything was deleted);
 * otherwise keeps the user's flow and only makes the demo config node follow a moved simulator.
 */
async function prepareFlow(admin: NodeRedAdmin, sim: DemoSimulator): Promise<void> {
  const flows = await admin.getFlows();
  if (flows.length === 0) {
    await admin.deployFlows(demoFlow(sim.url, DEMO_APP, DEMO_SCENES));
    say(`deployed the demo flow to ${relative(REPO_ROOT, FLOWS_FILE)}`);
    return;
  }
  const moved = retargetSimulator(flows, sim.url);
  if (moved) {
    await admin.deployFlows(moved);
    say(`pointed the demo config node at the simulator's new address ${sim.url}`);
  }
}

async function provision(admin: NodeRedAdmin, node: NodeRedChild, sim: DemoSimulator): Promise<void> {
  const alive = (): boolean => node.running;
  await admin.waitUntilUp(alive, STARTUP_TIMEOUT_MS);
  await prepareFlow(admin, sim);

  const hasConfig = (await admin.getFlows()).some((flowNode) => flowNode.id === DEMO_CONFIG_ID);
  if (!hasConfig) {
    say(
      `the demo config node (${DEMO_CONFIG_ID}) is no longer in the flow, so no refresh token was provisioned`,
    );
    return;
  }
  const status = await admin.waitForConfig(DEMO_CONFIG_ID, alive, STARTUP_TIMEOUT_MS);
  const outcome = await ensureRefreshToken(
    admin,
    sim.simulator,
    DEMO_CONFIG_ID,
    status.body.configured === true,
  );
  const where = relative(REPO_ROOT, TOKEN_DB_FILE);
  if (outcome === 'kept') say(`the refresh token in ${where} is still valid on the simulator`);
  else if (outcome === 'stored') say(`stored a refresh token from the simulator in ${where}`);
  else say(`the simulator no longer knew the token in ${where}; stored a fresh one`);
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
  if (!(await isPortFree(HOST, NODE_RED_PORT))) {
    process.stderr.write(
      `port ${NODE_RED_PORT} on ${HOST} is in use (another Node-RED, or a demo still running?); stop it and retry\n`,
    );
    return 1;
  }
  mkdirSync(DEMO_DIR, { recursive: true, mode: 0o700 });
  writeDemoSettings();

  const sim = await startDemoSimulator();
  say(`Aqara simulator: ${sim.url}${sim.onPreferredPort ? '' : ' (port 8089 was taken)'}`);
  const node = new NodeRedChild();

  let stopping = false;
  let failed = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping Node-RED and the simulator`);
    void node.stop(signal);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    await provision(new NodeRedAdmin(`${EDITOR_URL}/`), node, sim);
    say(`Node-RED editor: ${EDITOR_URL} \u2014 click an inject button (Ctrl+C stops the demo)`);
  } catch (error) {
    // A setup step that fails because Ctrl+C stopped Node-RED meanwhile is no failure.
    if (!stopping) {
      process.stderr.write(
        `[demo] setup failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      failed = true;
      stopping = true;
      await node.stop();
    }
  }

  const code = await node.exited;
  await sim.simulator.stop();
  process.off('SIGINT', shutdown);
  process.off('SIGTERM', shutdown);
  // Stopping on request is a clean end; Node-RED ending by itself is reported with its own code.
  if (failed) return 1;
  return stopping ? 0 : code;
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
