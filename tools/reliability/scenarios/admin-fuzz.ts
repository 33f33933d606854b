import { performance } from 'node:perf_hooks';
import { TokenStore } from '../../../src/lib/tokens/store';
import { type Category, type HostileRequest, hostileRequests } from '../lib/hostile-requests';
import { startLab } from '../lib/lab';
import { adminJson, httpRequest } from '../lib/red-admin';
import { Findings, type ScenarioOutcome, scenarioOutcome } from '../lib/outcome';
import { Prng } from '../lib/prng';
import { configFlowNode } from '../../../support/flow-nodes';
import { type NodeRedSession, startNodeRed } from '../../../support/node-red';

/**
 * Hostile input on the admin routes of a real Node-RED with the package installed: thousands of
 * generated requests (seeded, so a failure reproduces). Every answer must be a 4xx JSON error, or 200
 * for the valid requests included on purpose; never a 5xx, never a crash; and the victim config's
 * stored token must be exactly as it was.
 */

export interface AdminFuzzOptions {
  requests: number;
  seed: number;
  concurrency?: number;
}

export interface AdminFuzzRow {
  category: Category;
  requests: number;
  okAsExpected: number;
  rejectedAsJson4xx: number;
  /** 4xx answers whose body is not a JSON error object. */
  notJson4xx: number;
  /** A 4xx/200 other than the status the interface prescribes for that request. */
  wrongStatus: number;
  serverErrors: number;
  transportErrors: number;
}

export interface AdminFuzzFigures {
  seed: number;
  requests: number;
  rows: AdminFuzzRow[];
  nodeRedAlive: boolean;
  victimTokenUnchanged: boolean;
  /** Up to a few failing requests, described (never with their bodies). */
  samples: string[];
}

export const VICTIM_ID = 'aa11bb22cc33dd44';
export const DECOY_ID = 'ee55ff6677889900';

export async function runAdminFuzzScenario(
  options: AdminFuzzOptions,
): Promise<ScenarioOutcome<AdminFuzzFigures>> {
  const started = performance.now();
  const findings = new Findings();
  const rng = new Prng(options.seed);
  const lab = await startLab();
  let session: NodeRedSession | undefined;
  const rows = new Map<Category, AdminFuzzRow>();
  const samples: string[] = [];
  const figures: AdminFuzzFigures = {
    seed: options.seed,
    requests: 0,
    rows: [],
    nodeRedAlive: false,
    victimTokenUnchanged: false,
    samples,
  };
  let store: TokenStore | undefined;
  try {
    session = await startNodeRed();
    const app = lab.app;
    const common = { baseUrl: lab.baseUrl, appId: app.appId, keyId: app.keyId, appKey: app.appKey };
    await session.red.deploy([
      configFlowNode(VICTIM_ID, { ...common, name: 'victim' }),
      configFlowNode(DECOY_ID, { ...common, name: 'decoy' }),
    ]);
    for (const id of [VICTIM_ID, DECOY_ID]) {
      const seeded = await adminJson(session, 'POST', 'aqara/refresh-token', {
        refresh_token: lab.sim.issueRefreshToken(),
        config: id,
      });
      if (seeded.status !== 200)
        throw new Error(`seeding ${id} failed: HTTP ${seeded.status} ${seeded.text.slice(0, 200)}`);
    }
    store = TokenStore.open(session.dbPath);
    const before = store.read(VICTIM_ID);

    const queue = hostileRequests(rng, options.requests, { victim: VICTIM_ID, decoy: DECOY_ID });
    const red = session;
    const worker = async (): Promise<void> => {
      for (let next = queue.next(); !next.done; next = queue.next()) {
        const request = next.value;
        const row = rowOf(rows, request.category);
        row.requests++;
        figures.requests++;
        const verdict = await send(red, request);
        row[verdict.bucket]++;
        if (verdict.problem && samples.length < 12)
          samples.push(`${request.category} / ${request.what}: ${verdict.problem}`);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));

    figures.nodeRedAlive = red.red.running;
    const after = store.read(VICTIM_ID);
    figures.victimTokenUnchanged =
      before !== undefined &&
      after !== undefined &&
      after.refreshToken === before.refreshToken &&
      after.generation === before.generation &&
      after.updatedAt.getTime() === before.updatedAt.getTime();
    const status = await adminJson(red, 'GET', `aqara/token-status?config=${VICTIM_ID}`);
    findings.check(status.status === 200, `token-status of the victim after the run: HTTP ${status.status}`);
    const unexpected = red.red.lines.filter((line) =>
      /aqara admin route: unexpected|Uncaught|FATAL/i.test(line),
    );
    findings.check(unexpected.length === 0, `Node-RED logged ${unexpected.length} unexpected failures`);
  } finally {
    store?.close();
    await session?.stop();
    await lab.close();
  }

  figures.rows = [...rows.values()].sort((a, b) => a.category.localeCompare(b.category));
  const total = (key: keyof Omit<AdminFuzzRow, 'category'>): number =>
    figures.rows.reduce((sum, row) => sum + row[key], 0);
  findings.check(total('serverErrors') === 0, `${total('serverErrors')} requests got a 5xx answer`);
  findings.check(
    total('notJson4xx') === 0,
    `${total('notJson4xx')} requests got a 4xx answer that is not a JSON error`,
  );
  findings.check(
    total('wrongStatus') === 0,
    `${total('wrongStatus')} requests got a status other than the one prescribed`,
  );
  findings.check(
    total('transportErrors') === 0,
    `${total('transportErrors')} requests got no HTTP answer at all`,
  );
  findings.check(figures.nodeRedAlive, 'Node-RED died during the run');
  findings.check(figures.victimTokenUnchanged, "the victim config's stored token changed");
  findings.check(
    figures.requests === options.requests,
    `only ${figures.requests} of ${options.requests} requests were sent`,
  );
  return scenarioOutcome(figures, findings, started);
}

function rowOf(rows: Map<Category, AdminFuzzRow>, category: Category): AdminFuzzRow {
  let row = rows.get(category);
  if (!row) {
    row = {
      category,
      requests: 0,
      okAsExpected: 0,
      rejectedAsJson4xx: 0,
      notJson4xx: 0,
      wrongStatus: 0,
      serverErrors: 0,
      transportErrors: 0,
    };
    rows.set(category, row);
  }
  return row;
}

type Bucket =
  'okAsExpected' | 'rejectedAsJson4xx' | 'notJson4xx' | 'wrongStatus' | 'serverErrors' | 'transportErrors';

async function send(
  session: NodeRedSession,
  request: HostileRequest,
): Promise<{ bucket: Bucket; problem?: string }> {
  let answer;
  try {
    answer = await httpRequest(session.red.urlFor(request.path), {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  } catch (error) {
    return { bucket: 'transportErrors', problem: (error as Error).message };
  }
  const { status } = answer;
  if (status >= 500) return { bucket: 'serverErrors', problem: `HTTP ${status}` };
  const type = String(answer.headers['content-type'] ?? '');
  let json: unknown;
  try {
    json = JSON.parse(answer.body.toString('utf8'));
  } catch {
    json = undefined;
  }
  const isObject = typeof json === 'object' && json !== null && !Array.isArray(json);
  if (request.expect === 'ok') {
    if (status !== 200) return { bucket: 'wrongStatus', problem: `expected 200, got ${status}` };
    if (!type.includes('application/json') || !isObject)
      return { bucket: 'notJson4xx', problem: '200 without a JSON object' };
    return { bucket: 'okAsExpected' };
  }
  if (status < 400) return { bucket: 'wrongStatus', problem: `accepted with HTTP ${status}` };
  const error = json as { error?: unknown; code?: unknown } | undefined;
  if (
    !type.includes('application/json') ||
    !isObject ||
    typeof error?.error !== 'string' ||
    typeof error.code !== 'string'
  ) {
    return { bucket: 'notJson4xx', problem: `HTTP ${status} ${type.split(';')[0] || 'no content type'}` };
  }
  if (request.status !== undefined && status !== request.status) {
    return {
      bucket: 'wrongStatus',
      problem: `expected ${request.status}, got ${status} (${String(error.code)})`,
    };
  }
  return { bucket: 'rejectedAsJson4xx' };
}
