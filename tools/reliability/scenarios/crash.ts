import { performance } from 'node:perf_hooks';
import { ProtocolChild, sleep } from '../lib/protocol-child';
import { REFRESH_INTENT, startLab, type Lab } from '../lib/lab';
import { Findings, type ScenarioOutcome, scenarioOutcome } from '../lib/outcome';
import { Prng } from '../lib/prng';
import { fingerprint, type ChildEvent } from '../lib/child-protocol';
import { mean, percentile } from '../lib/percentiles';

/**
 * Crash: a child rotates the token back to back and is SIGKILLed at a random moment, again and again.
 * After each kill the parent looks at what a new process would find: the stored refresh token, and
 * whether the simulator still accepts it. A token can only be lost by a kill after the simulator
 * rotated it and before the child committed the new one; every loss must be explained that way, by
 * the simulator's own record (a successful rotation of exactly the stored token) and the child's
 * (no commit of its successor).
 */

export interface CrashOptions {
  kills: number;
  seed: number;
  /** Kills land uniformly in [0, maxDelayMs] after the child reports it is ready. */
  maxDelayMs?: number;
}

export interface CrashFigures {
  kills: number;
  rotations: number;
  /** Kills that left a stored token the simulator refuses. */
  losses: number;
  /** Losses explained by a kill between the simulator's rotation and the child's commit. */
  lossesInsideWindow: number;
  /** Of those, kills after the child had the answer in hand (the strict receive -> commit window). */
  lossesAfterReceipt: number;
  /** Kills while a refresh was in flight or uncommitted, as the child's own record shows. */
  killsWithRefreshInFlight: number;
  /** Processes that, started after a kill, found a token the simulator accepted on their first refresh. */
  restartsChecked: number;
  restartsFoundValidToken: number;
  windowP50Ms?: number;
  windowP99Ms?: number;
  /** Send -> commit: the whole time in which the simulator may have rotated a token not yet stored. */
  exposureP50Ms?: number;
  exposureP99Ms?: number;
  /** Time from one refresh to the next in the loop. */
  cycleP50Ms?: number;
  /** mean(exposure) / mean(cycle): the loss rate a uniformly random kill would cause. */
  expectedLossRate?: number;
}

const START_TIMEOUT_MS = 30_000;

interface Timing {
  windows: number[];
  exposures: number[];
  cycles: number[];
}

export async function runCrashScenario(options: CrashOptions): Promise<ScenarioOutcome<CrashFigures>> {
  const started = performance.now();
  const rng = new Prng(options.seed);
  const maxDelayMs = options.maxDelayMs ?? 250;
  const findings = new Findings();
  const figures: CrashFigures = {
    kills: 0,
    rotations: 0,
    losses: 0,
    lossesInsideWindow: 0,
    lossesAfterReceipt: 0,
    killsWithRefreshInFlight: 0,
    restartsChecked: 0,
    restartsFoundValidToken: 0,
  };
  const timing: Timing = { windows: [], exposures: [], cycles: [] };
  const lab = await startLab();
  let child: ProtocolChild | undefined;
  try {
    lab.seedToken();
    for (let kill = 0; kill < options.kills; kill++) {
      child = ProtocolChild.start('refresher', lab.childArgs());
      await child.waitFor((event) => event.ev === 'ready', START_TIMEOUT_MS);
      const restartCheck = firstRefreshOutcome(child);
      // The kill moment is drawn from the refresh loop, not from the child's start: on a loaded machine
      // a start takes longer, and kills before the first refresh would test nothing.
      await child.waitFor((event) => event.ev === 'send', START_TIMEOUT_MS);
      await sleep(rng.uniform(0, maxDelayMs));
      child.kill('SIGKILL');
      const exit = await child.exited;
      figures.kills++;
      findings.check(
        exit.signal === 'SIGKILL',
        `kill ${kill}: the child ended by itself (${JSON.stringify(exit)})`,
      );

      // Each child started on whatever the previous kill left (or on a re-pasted token after a loss):
      // its first refresh is a real process finding, or not finding, a usable token.
      const restart = await restartCheck;
      if (restart !== 'unknown') {
        figures.restartsChecked++;
        if (restart === 'ok') figures.restartsFoundValidToken++;
        else findings.violation(`kill ${kill}: a new process found a stored token the simulator refused`);
      }

      const events = child.events;
      collectTiming(events, timing);
      figures.rotations += events.filter(
        (event) => event.ev === 'committed' && event.outcome === 'saved',
      ).length;
      if (refreshInFlight(events)) figures.killsWithRefreshInFlight++;

      const stored = lab.storedToken();
      if (stored === undefined) {
        findings.violation(`kill ${kill}: the database holds no token at all`);
        lab.seedToken();
        continue;
      }
      if (lab.sim.isRefreshTokenValid(stored)) continue;

      figures.losses++;
      const explanation = explainLoss(lab, stored, events);
      if (explanation === 'outside') {
        findings.violation(
          `kill ${kill}: the stored token was refused but the simulator never rotated it successfully, ` +
            'or its successor was committed: a loss outside the rotation window',
        );
      } else {
        figures.lossesInsideWindow++;
        if (explanation === 'after-receipt') figures.lossesAfterReceipt++;
      }
      // A person pastes a new token; the next child must then find it.
      lab.seedToken();
    }
    findings.check(lab.storedTokenValid(), 'after the last kill the stored token is not valid');
  } finally {
    await child?.stop();
    await lab.close();
  }

  figures.windowP50Ms = percentile(timing.windows, 50);
  figures.windowP99Ms = percentile(timing.windows, 99);
  figures.exposureP50Ms = percentile(timing.exposures, 50);
  figures.exposureP99Ms = percentile(timing.exposures, 99);
  figures.cycleP50Ms = percentile(timing.cycles, 50);
  const exposure = mean(timing.exposures);
  const cycle = mean(timing.cycles);
  if (exposure !== undefined && cycle !== undefined && cycle > 0) figures.expectedLossRate = exposure / cycle;
  findings.check(
    figures.losses === figures.lossesInsideWindow,
    `${figures.losses - figures.lossesInsideWindow} losses happened outside the rotation window`,
  );
  if (figures.kills > 0 && figures.rotations === 0) findings.violation('no rotation was ever committed');
  return scenarioOutcome(figures, findings, started);
}

type RestartOutcome = 'ok' | 'refused' | 'unknown';

/** The child's first refresh: committed (the token it found was good), refused, or cut short by the kill. */
function firstRefreshOutcome(child: ProtocolChild): Promise<RestartOutcome> {
  return child
    .waitFor((event) => event.ev === 'committed' || event.ev === 'error', 5 * 60_000)
    .then(
      (event): RestartOutcome => {
        if (event.ev === 'committed') return 'ok';
        return event.kind === 'refresh_token' ? 'refused' : 'unknown';
      },
      (): RestartOutcome => 'unknown',
    );
}

/** True when the child's last refresh was sent but its commit never printed. */
function refreshInFlight(events: readonly ChildEvent[]): boolean {
  let open = false;
  for (const event of events) {
    if (event.ev === 'send') open = true;
    else if (event.ev === 'committed' || event.ev === 'error') open = false;
  }
  return open;
}

/**
 * A loss is inside the window when the simulator answered a rotation of exactly the stored token with
 * success and the child never committed that rotation. 'after-receipt' when the child had printed the
 * answer's arrival: the kill fell between receipt and commit rather than while the answer travelled.
 */
function explainLoss(
  lab: Lab,
  stored: string,
  events: readonly ChildEvent[],
): 'in-flight' | 'after-receipt' | 'outside' {
  const rotatedBySimulator = lab.sim.calls.some(
    (call) =>
      call.intent === REFRESH_INTENT &&
      call.code === 0 &&
      typeof call.data === 'object' &&
      call.data !== null &&
      (call.data as { refreshToken?: unknown }).refreshToken === stored,
  );
  const print = fingerprint(stored);
  const committed = events.some(
    (event) => event.ev === 'committed' && event.sent === print && event.outcome === 'saved',
  );
  if (!rotatedBySimulator || committed) return 'outside';
  const received = events.some((event) => event.ev === 'received' && event.sent === print);
  return received ? 'after-receipt' : 'in-flight';
}

/** Windows and cycles of one child, from its own monotonic timestamps. */
function collectTiming(events: readonly ChildEvent[], timing: Timing): void {
  const sent = new Map<string, number>();
  const received = new Map<string, number>();
  let lastSend: number | undefined;
  for (const event of events) {
    const token = typeof event.sent === 'string' ? event.sent : undefined;
    if (token === undefined) continue;
    if (event.ev === 'send') {
      if (lastSend !== undefined) timing.cycles.push(event.t - lastSend);
      lastSend = event.t;
      sent.set(token, event.t);
    } else if (event.ev === 'received') {
      received.set(token, event.t);
    } else if (event.ev === 'committed' && event.outcome === 'saved') {
      const at = received.get(token);
      const from = sent.get(token);
      if (at !== undefined) timing.windows.push(event.t - at);
      if (from !== undefined) timing.exposures.push(event.t - from);
    }
  }
}
