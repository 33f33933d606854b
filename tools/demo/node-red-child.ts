import { type ChildProcess, spawn } from 'node:child_process';
import { NODE_RED_MAIN, NODE_RED_PORT, SETTINGS_FILE, USER_DIR } from './paths';

/**
 * Node-RED as a child process with its output on this terminal, so the demo shows Node-RED's own log
 * (including the debug nodes, which also print to the console) without re-formatting it.
 */

const STOP_GRACE_MS = 10_000;

export class NodeRedChild {
  private readonly child: ChildProcess;
  private exitCode: number | undefined;
  /** Resolves with Node-RED's exit code (1 when a signal ended it without a code). */
  readonly exited: Promise<number>;

  constructor() {
    this.child = spawn(
      process.execPath,
      [NODE_RED_MAIN, '-u', USER_DIR, '-s', SETTINGS_FILE, '-p', String(NODE_RED_PORT)],
      { cwd: USER_DIR, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    // Should this script die without stopping it, Node-RED must not linger on port 1880.
    const orphanGuard = (): void => {
      if (this.running) this.child.kill('SIGTERM');
    };
    process.once('exit', orphanGuard);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        process.stderr.write(`cannot start Node-RED: ${error.message}\n`);
      });
      this.child.once('close', (code) => {
        process.off('exit', orphanGuard);
        this.exitCode = code ?? 1;
        resolve(this.exitCode);
      });
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /**
   * Node-RED stops its flows on SIGINT/SIGTERM (closing the token database cleanly) and exits.
   * A terminal's Ctrl+C reaches it directly too; Node-RED ignores the second signal.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_GRACE_MS);
    });
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome !== 'late') return outcome;
    process.stderr.write(`Node-RED did not stop within ${STOP_GRACE_MS / 1000} s; killing it\n`);
    this.child.kill('SIGKILL');
    return this.exited;
  }
}
