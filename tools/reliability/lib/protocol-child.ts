import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../../support/repo';
import { createInterface } from 'node:readline';
import type { ChildEvent } from './child-protocol';

/**
 * A TypeScript child process of the suite (a fixture run through tsx) that speaks the line protocol.
 * Every child is tracked and SIGKILLed when the suite's process exits, so no failed or interrupted
 * run leaves a refresher or a lock holder behind.
 */

export const CHILDREN = resolve(REPO_ROOT, 'tools', 'reliability', 'children');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ProtocolChild {
  readonly events: ChildEvent[] = [];
  /** Lines that are not protocol events: stderr, and anything else a child printed. */
  readonly otherLines: string[] = [];
  readonly exited: Promise<ChildExit>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();
  private exitInfo: ChildExit | undefined;

  private constructor(child: ChildProcess) {
    this.child = child;
    live.add(child);
    if (child.stdout) {
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => this.onLine(line));
    }
    if (child.stderr) {
      createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) =>
        this.otherLines.push(line),
      );
    }
    // A spawn failure emits 'error' and then 'close'; unhandled, it would crash the suite.
    child.once('error', (error) => this.otherLines.push(`[spawn] ${error.message}`));
    this.exited = new Promise((resolveExit) => {
      // 'close' comes after both output streams ended: every line the child wrote is in by then.
      child.once('close', (code, signal) => {
        live.delete(child);
        this.exitInfo = { code, signal };
        this.notify();
        resolveExit(this.exitInfo);
      });
    });
  }

  /** Runs tools/reliability/children/<name>.ts (or any script path) with tsx, from the repository root. */
  static start(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ProtocolChild {
    const path = script.includes('/') ? script : resolve(CHILDREN, `${script}.ts`);
    const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
    // node --test marks its children; a fixture is not a test file and must not report to the runner.
    delete merged.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ['--import', 'tsx', path, ...args], {
      cwd: REPO_ROOT,
      env: merged,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new ProtocolChild(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): ChildExit | undefined {
    return this.exitInfo;
  }

  send(command: Record<string, unknown>): void {
    if (this.running && this.child.stdin?.writable) this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  /** Kills the child if it still runs and waits until it is gone; safe to call twice. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<ChildExit> {
    this.kill(signal);
    return this.exited;
  }

  /** The first event (from index `since` on) that matches; rejects on timeout or when the child exits first. */
  waitFor(match: (event: ChildEvent) => boolean, timeoutMs: number, since = 0): Promise<ChildEvent> {
    let checked = since;
    return new Promise((resolveEvent, reject) => {
      const finish = (outcome: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        outcome();
      };
      const check = (): void => {
        for (; checked < this.events.length; checked++) {
          const event = this.events[checked];
          if (match(event)) return finish(() => resolveEvent(event));
        }
        if (!this.running) {
          finish(() =>
            reject(new Error(`child ${this.pid} exited (${JSON.stringify(this.exitInfo)})\n${this.tail()}`)),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`child ${this.pid}: no expected event within ${timeoutMs} ms\n${this.tail()}`)),
          ),
        timeoutMs,
      );
      this.listeners.add(check);
      check();
    });
  }

  /** The last lines of output, for a failure message. */
  tail(count = 15): string {
    const lines = [...this.events.map((event) => JSON.stringify(event)), ...this.otherLines];
    return lines.slice(-count).join('\n');
  }

  private onLine(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as ChildEvent).ev === 'string') {
      this.events.push(parsed as ChildEvent);
    } else {
      this.otherLines.push(line);
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
