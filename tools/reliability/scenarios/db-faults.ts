import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ProtocolChild, sleep } from '../lib/protocol-child';
import { REFRESH_INTENT, startLab, type Lab } from '../lib/lab';
import { Findings, type ScenarioOutcome, scenarioOutcome } from '../lib/outcome';
import { fillTokenPage, removeFiller } from '../lib/page-filler';
import type { ChildEvent } from '../lib/child-protocol';

/**
 * Database faults: a process running scenes through a TokenManager while its token database becomes
 * read-only, full, or locked by another process for longer than the busy timeout - either before a
 * refresh (the manager must refuse to refresh, since it cannot take the lease) or while one is in flight
 * (the rotated token must be kept in memory, logged loudly, and written as soon as the fault clears).
 * The process must never crash, and afterwards the database must hold a token the simulator accepts.
 */

export interface DbFaultOptions {
  /** The store's busy timeout in the child; the product default is 5000 ms. */
  busyTimeoutMs: number;
}

type FaultName =
  'read-only (query_only)' | 'full disk (page cap)' | 'full disk (file size limit)' | 'write lock held';
type Moment = 'before refresh' | 'during refresh';

export interface DbFaultRow {
  fault: FaultName;
  moment: Moment;
  /** What the scene run during the fault did: ok, or failed with the error's kind. */
  runDuringFault: string;
  loudError: boolean;
  crashed: boolean;
  /** The stored token while the fault lasted: unchanged and valid, or rotated (new token in memory only). */
  storedDuringFault: 'unchanged, valid' | 'rotated, held in memory' | 'new, valid' | 'other';
  /** From clearing the fault to a valid token in the database (0 when it never left). */
  durableAfterClearMs?: number;
  tokenValidAfter: boolean;
  runAfterClear: 'ok' | 'failed';
  maxEventLoopLagMs: number;
  skipped?: string;
}

export interface DbFaultFigures {
  busyTimeoutMs: number;
  rows: DbFaultRow[];
}

interface Fault {
  name: FaultName;
  /** Slow set-up done before the run starts, so that apply() is quick enough to land mid-refresh. */
  prepare?(): Promise<void>;
  apply(child: DbChild): Promise<void>;
  clear(child: DbChild): Promise<void>;
  /** Why the fault cannot be produced here, if it cannot. */
  unavailable?(): string | undefined;
  close?(): Promise<void>;
}

const REFRESH_DELAY_MS = 500;
const START_TIMEOUT_MS = 60_000;
const DURABLE_DEADLINE_MS = 30_000;

/** A db-child with request/response on top of the line protocol. */
class DbChild {
  private nextId = 1;
  constructor(readonly child: ProtocolChild) {}

  async command(cmd: string, fields: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<ChildEvent> {
    const id = this.nextId++;
    const since = this.child.events.length;
    this.child.send({ cmd, id, ...fields });
    return this.child.waitFor((event) => event.id === id, timeoutMs, since);
  }

  pragma(statement: string): Promise<ChildEvent> {
    return this.command('pragma', { statement });
  }
}

export async function runDbFaultScenario(options: DbFaultOptions): Promise<ScenarioOutcome<DbFaultFigures>> {
  const started = performance.now();
  const findings = new Findings();
  const lab = await startLab();
  const figures: DbFaultFigures = { busyTimeoutMs: options.busyTimeoutMs, rows: [] };
  const faults = makeFaults(lab);
  try {
    lab.seedToken();
    const plan: [Fault, Moment][] = [];
    for (const fault of faults)
      for (const moment of ['before refresh', 'during refresh'] as const) plan.push([fault, moment]);
    for (const [fault, moment] of plan) {
      figures.rows.push(await runCase(lab, fault, moment, options, findings));
    }
  } finally {
    for (const fault of faults) await fault.close?.();
    await lab.close();
  }
  return scenarioOutcome(figures, findings, started);
}

async function runCase(
  lab: Lab,
  fault: Fault,
  moment: Moment,
  options: DbFaultOptions,
  findings: Findings,
): Promise<DbFaultRow> {
  const name = `${fault.name} ${moment}`;
  const row: DbFaultRow = {
    fault: fault.name,
    moment,
    runDuringFault: 'n/a',
    loudError: false,
    crashed: false,
    storedDuringFault: 'other',
    tokenValidAfter: false,
    runAfterClear: 'failed',
    maxEventLoopLagMs: 0,
  };
  const why = fault.unavailable?.();
  if (why) {
    row.skipped = why;
    findings.note(`${name}: skipped (${why})`);
    return row;
  }
  const child = new DbChild(
    ProtocolChild.start('db-child', [...lab.childArgs(), String(options.busyTimeoutMs)]),
  );
  let faulted = false;
  try {
    await child.child.waitFor((event) => event.ev === 'ready', START_TIMEOUT_MS);
    await fault.prepare?.();
    const before = lab.storedToken();
    const logsFrom = child.child.events.length;
    lab.sim.clearFaults();

    let during: ChildEvent;
    if (moment === 'before refresh') {
      await fault.apply(child);
      faulted = true;
      during = await child.command('run');
    } else {
      // The refresh answer is held back so the fault can land between the lease and the commit.
      lab.sim.injectFault({
        fault: { kind: 'delay', ms: REFRESH_DELAY_MS },
        intent: REFRESH_INTENT,
        times: 1,
      });
      const since = child.child.events.length;
      const run = child.command('run');
      await child.child.waitFor((event) => event.ev === 'refresh-sent', START_TIMEOUT_MS, since);
      await fault.apply(child);
      faulted = true;
      during = await run;
    }
    const error = during.error as { kind?: string; message?: string } | undefined;
    row.runDuringFault = during.ok === true ? 'ok' : `failed (${String(error?.kind)})`;
    row.maxEventLoopLagMs = Number(during.maxLagMs ?? 0);
    const errorLogs = child.child.events
      .slice(logsFrom)
      .filter((event) => event.ev === 'log' && event.level === 'error');
    row.loudError = errorLogs.length > 0;

    const stored = lab.storedToken();
    const storedValid = stored !== undefined && lab.sim.isRefreshTokenValid(stored);
    if (stored === before && storedValid) row.storedDuringFault = 'unchanged, valid';
    else if (stored === before && !storedValid) row.storedDuringFault = 'rotated, held in memory';
    else if (storedValid) row.storedDuringFault = 'new, valid';

    const clearedAt = performance.now();
    await fault.clear(child);
    faulted = false;
    const durable = await waitForValidToken(lab, DURABLE_DEADLINE_MS);
    if (durable)
      row.durableAfterClearMs =
        row.storedDuringFault === 'rotated, held in memory' ? performance.now() - clearedAt : 0;
    const after = await child.command('run');
    row.runAfterClear = after.ok === true ? 'ok' : 'failed';
    row.tokenValidAfter = lab.storedTokenValid();
    row.crashed = !child.child.running;

    // The promises, in words.
    const refusal = moment === 'before refresh';
    const unaffected = fault.name === 'full disk (page cap)' && moment === 'during refresh';
    if (refusal) {
      findings.check(
        error?.kind === 'storage',
        `${name}: the run should fail with a storage error, got ${row.runDuringFault}`,
      );
      findings.check(row.loudError, `${name}: no error was logged`);
      findings.check(
        row.storedDuringFault === 'unchanged, valid',
        `${name}: stored token during the fault: ${row.storedDuringFault}`,
      );
    } else if (unaffected) {
      // The commit rewrites the row in place and shrinks it (the lease fields are cleared): it needs
      // no new page, so a page cap cannot stop it. Recorded, not required.
      findings.note(
        `${name}: the commit needs no new page, so the cap does not stop it (${row.runDuringFault}, ${row.storedDuringFault})`,
      );
    } else {
      findings.check(
        during.ok === true,
        `${name}: the run should succeed with the token held in memory, got ${row.runDuringFault}`,
      );
      findings.check(
        errorLogs.some((event) => /held in memory/.test(String(event.message))),
        `${name}: no error log said the rotated token is held in memory`,
      );
      findings.check(
        row.storedDuringFault === 'rotated, held in memory',
        `${name}: stored token during the fault: ${row.storedDuringFault}`,
      );
    }
    findings.check(
      durable,
      `${name}: no valid token reached the database within ${DURABLE_DEADLINE_MS} ms of the fault clearing`,
    );
    findings.check(row.runAfterClear === 'ok', `${name}: the run after the fault cleared failed`);
    findings.check(row.tokenValidAfter, `${name}: the stored token is not valid after the fault`);

    await child.command('exit', {}, 10_000).catch(() => undefined);
    const exit = await child.child.exited;
    row.crashed = exit.code !== 0;
    findings.check(
      !row.crashed,
      `${name}: the process crashed (${JSON.stringify(exit)}): ${child.child.tail(5)}`,
    );
  } catch (error) {
    row.crashed = !child.child.running && child.child.exit?.code !== 0;
    findings.violation(`${name}: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    if (faulted) await fault.clear(child).catch(() => undefined);
    await child.child.stop();
    lab.sim.clearFaults();
    // Whatever happened, the next case starts from a token the simulator accepts.
    if (!lab.storedTokenValid()) lab.seedToken();
  }
  return row;
}

async function waitForValidToken(lab: Lab, deadlineMs: number): Promise<boolean> {
  const until = performance.now() + deadlineMs;
  while (performance.now() < until) {
    if (lab.storedTokenValid()) return true;
    await sleep(50);
  }
  return lab.storedTokenValid();
}

function makeFaults(lab: Lab): Fault[] {
  const readOnly: Fault = {
    name: 'read-only (query_only)',
    apply: async (child) => expectPragma(await child.pragma('query_only = ON')),
    clear: async (child) => expectPragma(await child.pragma('query_only = OFF')),
  };

  const pageCap: Fault = {
    name: 'full disk (page cap)',
    async apply(child) {
      fillTokenPage(lab.dbPath);
      const count = await child.pragma('page_count');
      const pages = (count.result as { page_count: number }[])[0].page_count;
      expectPragma(await child.pragma(`max_page_count = ${pages}`));
    },
    async clear(child) {
      expectPragma(await child.pragma('max_page_count = 1073741823'));
      removeFiller(lab.dbPath);
    },
  };

  // RLIMIT_FSIZE of 0 on the child alone: every write to any file fails (EFBIG), as on a full disk,
  // while reads go on. Node ignores SIGXFSZ, so the write fails instead of killing the process.
  const fileSize: Fault = {
    name: 'full disk (file size limit)',
    unavailable: () => (hasPrlimit() ? undefined : 'prlimit(1) is not installed'),
    apply: async (child) => setFileSizeLimit(child.child.pid, '0:unlimited'),
    clear: async (child) => setFileSizeLimit(child.child.pid, 'unlimited:unlimited'),
  };

  let holder: ProtocolChild | undefined;
  const lock: Fault = {
    name: 'write lock held',
    async prepare() {
      holder = ProtocolChild.start('lock-holder', [lab.dbPath]);
      await holder.waitFor((event) => event.ev === 'ready', START_TIMEOUT_MS);
    },
    async apply() {
      if (!holder) throw new Error('the lock holder was not prepared');
      const since = holder.events.length;
      holder.send({ cmd: 'lock' });
      await holder.waitFor((event) => event.ev === 'locked', START_TIMEOUT_MS, since);
    },
    async clear() {
      if (!holder) return;
      const since = holder.events.length;
      holder.send({ cmd: 'release' });
      await holder
        .waitFor((event) => event.ev === 'released', START_TIMEOUT_MS, since)
        .catch(() => undefined);
      await holder.stop();
      holder = undefined;
    },
    async close() {
      await holder?.stop();
    },
  };
  return [readOnly, pageCap, fileSize, lock];
}

function expectPragma(event: ChildEvent): void {
  if (event.ok !== true) throw new Error(`PRAGMA failed in the child: ${JSON.stringify(event.error)}`);
}

let prlimitAvailable: boolean | undefined;
function hasPrlimit(): boolean {
  if (prlimitAvailable === undefined) {
    try {
      execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
      prlimitAvailable = true;
    } catch {
      prlimitAvailable = false;
    }
  }
  return prlimitAvailable;
}

function setFileSizeLimit(pid: number, limits: string): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${limits}`], { stdio: 'ignore' });
}
