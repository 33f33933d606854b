import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AqaraSimulator } from '../../../simulator/server';
import { openIdFor } from '../../../simulator/state';
import { TokenStore } from '../../../src/lib/tokens/store';
import {
  PUSH_CONFIG_ID,
  PUSH_DID,
  PUSH_PATHS,
  PUSH_RESOURCE,
  pushFlows,
} from '../../bench/node-red/push-flows';
import { PushSender, reportBody, sendAll } from '../../bench/push-sender';
import { NodeRedProcess } from '../../../support/node-red-process';
import { sleep } from '../lib/protocol-child';
import { adminJson } from '../lib/red-admin';
import { Findings, type ScenarioOutcome, scenarioOutcome } from '../lib/outcome';
import { Prng } from '../lib/prng';
import { percentile } from '../lib/percentiles';
import { type NodeRedSession, startNodeRed } from '../../../support/node-red';

/**
 * SIGKILL of a real Node-RED during bursts of pushes, again and again on the same user directory,
 * then a last restart. Aqara does not resend what got a 200, so every push acknowledged before a
 * kill must reach the flow after some restart, and none twice, though 5 % of the pushes are copies
 * of earlier ones (Aqara redelivering). The flow's sink appends each value to a file synchronously,
 * so what the flow received survives the kills.
 */

export interface PushCrashOptions {
  kills: number;
  seed: number;
  /** Kills land uniformly in [minDelayMs, maxDelayMs] after a burst starts. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface PushCrashFigures {
  kills: number;
  pushesSent: number;
  /** Distinct pushes answered 200. */
  acknowledged: number;
  /** Copies of earlier pushes sent (redeliveries). */
  duplicatesSent: number;
  /** Acknowledged pushes the flow never received. */
  lost: number;
  /** Where each lost push is in the journal: marked emitted, still pending, or absent. */
  lostMarkedEmitted: number;
  lostPending: number;
  lostNotJournaled: number;
  /** Pushes the flow received more than once (extra copies counted). */
  emittedTwice: number;
  /** Pushes the flow received though the sender saw no 200 (journaled, then killed before the answer). */
  emittedUnacknowledged: number;
  /**
   * Kills that fell inside the refresh-token rotation window (the crash scenario's subject): the stored
   * token was refused afterwards and a fresh one was pasted, as its owner would, so pushes could flow.
   */
  refreshTokensLost: number;
  restartP50Ms?: number;
  restartP99Ms?: number;
}

const WINDOW = 8;
const BURST_PUSHES = 5_000;
const BURST_LIMIT_MS = 15_000;
const DELIVERY_WAIT_MS = 60_000;

export async function runPushCrashScenario(
  options: PushCrashOptions,
): Promise<ScenarioOutcome<PushCrashFigures>> {
  const started = performance.now();
  const rng = new Prng(options.seed);
  const findings = new Findings();
  const minDelay = options.minDelayMs ?? 50;
  const maxDelay = options.maxDelayMs ?? 1_000;
  const sim = new AqaraSimulator();
  const baseUrl = await sim.start();
  const { appId, keyId, appKey } = sim.apps[0];
  const openId = openIdFor(appId);
  const reportTime = Date.now() + 3_600_000;
  const figures: PushCrashFigures = {
    kills: 0,
    pushesSent: 0,
    acknowledged: 0,
    duplicatesSent: 0,
    lost: 0,
    lostMarkedEmitted: 0,
    lostPending: 0,
    lostNotJournaled: 0,
    emittedTwice: 0,
    emittedUnacknowledged: 0,
    refreshTokensLost: 0,
  };
  const acked = new Set<string>();
  const sentBodies: string[] = [];
  let sequence = 0;
  const restarts: number[] = [];
  const settings = { flowFile: 'flows.json', credentialSecret: false };
  let session: NodeRedSession | undefined;
  let red: NodeRedProcess | undefined;
  try {
    session = await startNodeRed({ settings, prefix: 'aqara-reliability-push-' });
    const sinkFile = join(session.userDir, 'received.txt');
    await session.red.deploy(pushFlows({ baseUrl, appId, keyId, appKey }, { sinkFile }));
    const pasted = await adminJson(session, 'POST', 'aqara/refresh-token', {
      refresh_token: sim.issueRefreshToken(),
      config: PUSH_CONFIG_ID,
    });
    if (pasted.status !== 200) throw new Error(`pasting a token failed: HTTP ${pasted.status}`);
    red = session.red;

    const burst = async (current: NodeRedProcess, killAfterMs: number | undefined): Promise<void> => {
      const sender = new PushSender(current.url, WINDOW);
      const items = Array.from({ length: BURST_PUSHES }, (_, index) => {
        // Every 20th: a copy of something sent before (acknowledged or not), as Aqara redelivers.
        if (index % 20 === 19 && sentBodies.length > 0) {
          return { value: undefined, body: sentBodies[rng.int(0, sentBodies.length - 1)] };
        }
        sequence += 1;
        const value = String(sequence);
        const body = reportBody(`crash-${value}`, openId, {
          subjectId: PUSH_DID,
          resourceId: PUSH_RESOURCE,
          value,
          time: reportTime,
        });
        return { value, body };
      });
      const killer =
        killAfterMs === undefined
          ? undefined
          : setTimeout(() => {
              if (current.pid !== undefined && current.running) process.kill(current.pid, 'SIGKILL');
            }, killAfterMs);
      try {
        await sendAll(
          sender,
          () => PUSH_PATHS.ours,
          items.map((item) => item.body),
          WINDOW,
          performance.now() + (killAfterMs === undefined ? BURST_LIMIT_MS : killAfterMs + 2_000),
          (index, answer) => {
            const { value, body } = items[index];
            figures.pushesSent += 1;
            if (value === undefined) figures.duplicatesSent += 1;
            else sentBodies.push(body);
            if (answer.status === 200 && value !== undefined) acked.add(value);
          },
          // Once Node-RED is gone the rest of the burst is not sent (Aqara would keep it for later).
          () => !current.running,
        );
      } finally {
        clearTimeout(killer);
        sender.close();
      }
    };

    for (let kill = 0; kill < options.kills; kill++) {
      await burst(red, Math.round(rng.uniform(minDelay, maxDelay)));
      await red.waitForExit();
      figures.kills += 1;
      // Not this scenario's subject, but without a token no push can be checked against the account.
      const store = TokenStore.open(session.dbPath);
      const stored = store.read(PUSH_CONFIG_ID)?.refreshToken;
      if (stored === undefined || !sim.isRefreshTokenValid(stored)) {
        figures.refreshTokensLost += 1;
        store.write(PUSH_CONFIG_ID, sim.issueRefreshToken(), appId);
      }
      store.close();
      const restartAt = performance.now();
      red = await NodeRedProcess.start({ userDir: session.userDir, settings });
      restarts.push(performance.now() - restartAt);
    }
    // The last Node-RED lives: a closing push, then everything acknowledged must be in the file.
    sequence += 1;
    const closing = String(sequence);
    const sender = new PushSender(red.url, 1);
    const last = await sender.post(
      PUSH_PATHS.ours,
      reportBody(`crash-${closing}`, openId, {
        subjectId: PUSH_DID,
        resourceId: PUSH_RESOURCE,
        value: closing,
        time: reportTime,
      }),
    );
    sender.close();
    if (last.status !== 200) throw new Error(`the closing push got HTTP ${last.status}`);
    acked.add(closing);
    const received = (): Map<string, number> => {
      const counts = new Map<string, number>();
      if (!existsSync(sinkFile)) return counts;
      for (const line of readFileSync(sinkFile, 'utf8').split('\n')) {
        if (line !== '') counts.set(line, (counts.get(line) ?? 0) + 1);
      }
      return counts;
    };
    const deadline = performance.now() + DELIVERY_WAIT_MS;
    let counts = received();
    while (!counts.has(closing) && performance.now() < deadline) {
      await sleep(200);
      counts = received();
    }
    findings.check(counts.has(closing), 'the closing push never reached the flow');
    figures.acknowledged = acked.size;
    const lost = [...acked].filter((value) => !counts.has(value));
    figures.lost = lost.length;
    if (lost.length > 0) {
      const db = new Database(session.dbPath, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare<[string, string], { emitted_at: number | null }>(
          'SELECT emitted_at FROM aqara_push_journal WHERE config_id = ? AND msg_id = ?',
        );
        for (const value of lost) {
          const found = row.get(PUSH_CONFIG_ID, `crash-${value}`);
          if (!found) figures.lostNotJournaled += 1;
          else if (found.emitted_at === null) figures.lostPending += 1;
          else figures.lostMarkedEmitted += 1;
        }
      } finally {
        db.close();
      }
    }
    figures.emittedTwice = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    figures.emittedUnacknowledged = [...counts.keys()].filter((value) => !acked.has(value)).length;
    figures.restartP50Ms = percentile(restarts, 50);
    figures.restartP99Ms = percentile(restarts, 99);
    if (figures.lostPending > 0) {
      // Pushes left in the journal: what the last Node-RED said about its config tells why.
      const said = red.lines.filter((line) => /\[(warn|error)\]/.test(line)).slice(-5);
      findings.note(`last warnings of the final Node-RED: ${said.join(' / ') || 'none'}`);
    }
    findings.check(
      figures.lost === 0,
      `${figures.lost} of ${figures.acknowledged} acknowledged pushes never reached the flow after ${figures.kills} SIGKILLs ` +
        `(in the journal: ${figures.lostMarkedEmitted} marked emitted, ${figures.lostPending} pending, ${figures.lostNotJournaled} absent)`,
    );
    findings.check(figures.emittedTwice === 0, `${figures.emittedTwice} pushes reached the flow twice`);
  } finally {
    if (red && red !== session?.red) await red.stop();
    await session?.stop();
    await sim.stop();
  }
  return scenarioOutcome(figures, findings, started);
}
