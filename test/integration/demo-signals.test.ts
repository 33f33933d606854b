import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { isPortFree } from '../../support/ports';
import { REPO_ROOT } from '../../support/repo';
import { makeTempDir } from '../../support/temp-dir';

/**
 * `kill -TERM <pid of npm start>` (or -INT) must stop the whole demo: npm forwards the signal to its
 * script's process, so the script must exec the demo rather than leave a shell in between that drops it.
 * The demo runs through npm with the start script exactly as package.json has it, minus the build
 * (npm test has built already, and a rebuild would pull dist/ from under the tests running beside this
 * one), in a temporary state folder on free ports.
 */

const READY = /\[demo\] Node-RED editor: (\S+) \(Node-RED pid (\d+), demo pid (\d+);/;
const SIMULATOR = /\[demo\] Aqara simulator: (\S+)/;
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

function startScriptWithoutBuild(): string {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const script = manifest.scripts.start;
  const match = /^npm run build && (exec node --import tsx )(tools\/demo\/run-demo\.ts)$/.exec(script);
  assert.ok(match, `the start script execs the demo after the build: ${script}`);
  return `${match[1]}${JSON.stringify(join(REPO_ROOT, match[2]))}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 50));
  }
}

async function within<T>(promise: Promise<T>, timeoutMs: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface RunningDemo {
  npm: ChildProcess;
  lines: string[];
  closed: Promise<void>;
}

function startDemo(dir: string): RunningDemo {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'demo-signals', private: true, scripts: { start: startScriptWithoutBuild() } }),
  );
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  delete env.NODE_TEST_CONTEXT;
  Object.assign(env, {
    AQARA_DEMO_DIR: join(dir, 'state'),
    AQARA_DEMO_NODE_RED_PORT: '0',
    AQARA_DEMO_SIMULATOR_PORT: '0',
  });
  // Its own process group, so a failed test can still take down npm and everything under it.
  const npm = spawn('npm', ['start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  for (const stream of [npm.stdout, npm.stderr]) {
    if (stream)
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => lines.push(line));
  }
  const closed = new Promise<void>((resolveClose) => npm.once('close', () => resolveClose()));
  return { npm, lines, closed };
}

/** The whole process group: npm may be gone while a demo it failed to stop still runs. */
function killGroup(demo: RunningDemo): void {
  if (demo.npm.pid === undefined) return;
  try {
    process.kill(-demo.npm.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

describe(
  'the demo stops on a signal sent to npm',
  { timeout: 2 * (START_TIMEOUT_MS + STOP_TIMEOUT_MS) },
  () => {
    const temps: Array<{ remove(): void }> = [];
    const demos: RunningDemo[] = [];
    after(() => {
      for (const demo of demos) killGroup(demo);
      for (const temp of temps) temp.remove();
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${signal} to npm stops Node-RED and the simulator and frees both ports`, async () => {
        const temp = makeTempDir('aqara-demo-signals-');
        temps.push(temp);
        const demo = startDemo(temp.path);
        demos.push(demo);
        const output = (): string => demo.lines.join('\n');
        let ready: RegExpExecArray | null = null;
        await until(
          `the demo ready line\n${output()}`,
          () => {
            ready = demo.lines.map((line) => READY.exec(line)).find((found) => found !== null) ?? null;
            return ready !== null || demo.npm.exitCode !== null;
          },
          START_TIMEOUT_MS,
        );
        assert.ok(ready, `the demo started:\n${output()}`);
        const [, editorUrl, redPid, demoPid] = ready as RegExpExecArray;
        const simulatorUrl = demo.lines.map((line) => SIMULATOR.exec(line)?.[1]).find(Boolean);
        assert.ok(simulatorUrl, output());
        const ports = [new URL(editorUrl).port, new URL(simulatorUrl).port].map(Number);
        assert.equal((await fetch(new URL('settings', editorUrl))).status, 200, 'Node-RED answers');

        assert.ok(demo.npm.pid !== undefined);
        process.kill(demo.npm.pid, signal);
        await within(demo.closed, STOP_TIMEOUT_MS, () => `npm did not exit\n${output()}`);

        await until(
          'the demo and Node-RED processes are gone',
          () => !alive(+demoPid) && !alive(+redPid),
          STOP_TIMEOUT_MS,
        );
        for (const port of ports) {
          await until(`port ${port} is free`, () => isPortFree('127.0.0.1', port), STOP_TIMEOUT_MS);
        }
        assert.ok(demo.lines.includes(`[demo] ${signal}: stopping Node-RED and the simulator`), output());
        assert.ok(
          demo.lines.some((line) => line.includes('[info] Stopped flows')),
          'Node-RED stopped its flows',
        );
        assert.ok(
          demo.lines.some((line) => line.startsWith('[demo] stopped')),
          output(),
        );
      });
    }
  },
);
