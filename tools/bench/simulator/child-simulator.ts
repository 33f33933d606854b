import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { FaultRule, SimulatorApp } from '../../../simulator/server';
import { REPO_ROOT } from '../bench-paths';
import type { ChildAnswer, ChildRequest, ChildSimulatorOptions } from './child-simulator-protocol';

/** Starting tsx and building a few thousand devices takes a second or two; a child silent this long is stuck. */
const ANSWER_TIMEOUT_MS = 60_000;

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<ChildRequest>;

/** Children still running, killed if the bench exits without stopping them (the watchdog, Ctrl-C). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * An Aqara simulator in a child process, driven over IPC: the bench process then holds only the
 * client's work, and the simulator's (building answers, counting calls) runs on a core of its own.
 */
export class ChildSimulator {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly exited: Promise<void>;
  private address: { baseUrl: string; apps: SimulatorApp[] } | undefined;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (answer: ChildAnswer) => {
      const waiter = this.pending.get(answer.id);
      if (!waiter) return;
      this.pending.delete(answer.id);
      if (answer.ok) waiter.resolve(answer.value);
      else waiter.reject(new Error(`simulator child: ${answer.error}`));
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values())
        waiter.reject(new Error(`simulator child exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  static async start(options: ChildSimulatorOptions): Promise<ChildSimulator> {
    const child = fork(join(__dirname, 'child-simulator-main.ts'), [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    const simulator = new ChildSimulator(child);
    try {
      simulator.address = (await simulator.ask({ method: 'start', options })) as ChildSimulator['address'];
      return simulator;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  get baseUrl(): string {
    return this.started().baseUrl;
  }

  get apps(): SimulatorApp[] {
    return this.started().apps;
  }

  async issueRefreshToken(): Promise<string> {
    return (await this.ask({ method: 'issueRefreshToken' })) as string;
  }

  async callCount(intent: string): Promise<number> {
    return (await this.ask({ method: 'callCount', intent })) as number;
  }

  async injectFault(rule: FaultRule): Promise<void> {
    await this.ask({ method: 'injectFault', rule });
  }

  async clearFaults(): Promise<void> {
    await this.ask({ method: 'clearFaults' });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        await this.ask({ method: 'stop' });
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    await this.exited;
  }

  private started(): NonNullable<ChildSimulator['address']> {
    if (!this.address) throw new Error('simulator child not started');
    return this.address;
  }

  private ask(request: Request): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`simulator child did not answer ${request.method} within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ ...request, id } as ChildRequest);
    });
  }
}
