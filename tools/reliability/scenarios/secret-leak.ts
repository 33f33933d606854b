import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REFRESH_INTENT, SCENE_ID, SCENE_INTENT, startLab, type Lab } from '../lib/lab';
import { adminJson, httpRequest, pressInject } from '../lib/red-admin';
import { Findings, type ScenarioOutcome, scenarioOutcome } from '../lib/outcome';
import { configFlowNode } from '../../../support/flow-nodes';
import { type NodeRedSession, startNodeRed } from '../../../support/node-red';

/**
 * Secret leakage: a whole Node-RED session at log level trace - deploy, paste a token, run scenes that
 * succeed and fail in every way (including an Aqara answer that echoes the access token and the app
 * key), redeploy, stop - and then every place a secret could end up is searched: each log line, each
 * status text and error message (caught by status/catch nodes and printed by debug nodes), each admin
 * answer, flows.json, flows_cred.json, every other file of the user directory, and the bytes of the
 * token database. The app key and access tokens must appear nowhere; refresh tokens only in the database.
 */

export interface SecretLeakRow {
  source: string;
  items: number;
  /** Which kinds of secret were searched for there. */
  searchedFor: string;
  hits: number;
}

export interface SecretLeakFigures {
  rows: SecretLeakRow[];
  secrets: { appKeys: number; accessTokens: number; refreshTokens: number };
  credentialsEncrypted: boolean;
  sceneRunsOk: number;
  sceneRunsFailed: number;
}

const CONFIG_ID = '5ec2e7c0ffee0001';
const TAB = '5ec2e7c0ffee0000';
/**
 * Node ids that look like Node-RED's own: an id equal to any property value (a node called 'status'
 * next to a debug node whose `complete` is 'status') is taken by Node-RED as a dependency on that node.
 */
const ID = {
  injRun: '5ec2e7c0ffee0011',
  injGhost: '5ec2e7c0ffee0012',
  injBadName: '5ec2e7c0ffee0013',
  injStatus: '5ec2e7c0ffee0014',
  scene: '5ec2e7c0ffee0021',
  tokstat: '5ec2e7c0ffee0022',
  catch: '5ec2e7c0ffee0031',
  status: '5ec2e7c0ffee0032',
  out: '5ec2e7c0ffee0041',
  err: '5ec2e7c0ffee0042',
  statusOut: '5ec2e7c0ffee0043',
  tokstatOut: '5ec2e7c0ffee0044',
} as const;
const LOG_ENTRY_START = /^\d{1,2} \w{3} \d\d:\d\d:\d\d - \[/;
const STEP_TIMEOUT_MS = 20_000;

function flows(lab: Lab): Record<string, unknown>[] {
  const debug = (id: string, name: string, complete: string): Record<string, unknown> => ({
    id,
    type: 'debug',
    z: TAB,
    name,
    active: true,
    tosidebar: true,
    console: true,
    tostatus: false,
    complete,
    targetType: complete === 'true' ? 'full' : 'msg',
    wires: [],
  });
  const inject = (id: string, scene: string | undefined, to: string): Record<string, unknown> => ({
    id,
    type: 'inject',
    z: TAB,
    // Never equal to an id: Node-RED reads such a property as a dependency on that node.
    name: `press ${id}`,
    props: scene === undefined ? [{ p: 'payload' }] : [{ p: 'payload' }, { p: 'scene', v: scene, vt: 'str' }],
    payload: '',
    payloadType: 'date',
    repeat: '',
    once: false,
    wires: [[to]],
  });
  return [
    { id: TAB, type: 'tab', label: 'secret leak' },
    configFlowNode(CONFIG_ID, {
      baseUrl: lab.baseUrl,
      appId: lab.app.appId,
      keyId: lab.app.keyId,
      appKey: lab.app.appKey,
      name: 'home',
      scenes: { tv_pin_entry: SCENE_ID, ghost: 'AL.999999999999999999' },
    }),
    inject(ID.injRun, 'tv_pin_entry', ID.scene),
    inject(ID.injGhost, 'ghost', ID.scene),
    inject(ID.injBadName, 'no such scene', ID.scene),
    inject(ID.injStatus, undefined, ID.tokstat),
    {
      id: ID.scene,
      type: 'aqara-scene',
      z: TAB,
      name: 'tv',
      config: CONFIG_ID,
      scene: 'tv_pin_entry',
      wires: [[ID.out]],
    },
    {
      id: ID.tokstat,
      type: 'aqara-token-status',
      z: TAB,
      name: 'tokens',
      config: CONFIG_ID,
      wires: [[ID.tokstatOut]],
    },
    {
      id: ID.catch,
      type: 'catch',
      z: TAB,
      scope: [ID.scene, ID.tokstat],
      uncaught: false,
      wires: [[ID.err]],
    },
    { id: ID.status, type: 'status', z: TAB, scope: [ID.scene, ID.tokstat], wires: [[ID.statusOut]] },
    debug(ID.out, 'out', 'true'),
    debug(ID.err, 'err', 'true'),
    debug(ID.statusOut, 'status', 'status'),
    debug(ID.tokstatOut, 'tokstat', 'payload'),
  ];
}

export async function runSecretLeakScenario(): Promise<ScenarioOutcome<SecretLeakFigures>> {
  const started = performance.now();
  const findings = new Findings();
  const lab = await startLab();
  let session: NodeRedSession | undefined;
  const answers: string[] = [];
  const postedTokens: string[] = [];
  const figures: SecretLeakFigures = {
    rows: [],
    secrets: { appKeys: 1, accessTokens: 0, refreshTokens: 0 },
    credentialsEncrypted: false,
    sceneRunsOk: 0,
    sceneRunsFailed: 0,
  };
  try {
    session = await startNodeRed({
      settings: { logging: { console: { level: 'trace', metrics: false, audit: true } } },
    });
    const red = session;
    const flowDefs = flows(lab);
    await red.red.deploy(flowDefs);

    const admin = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<number> => {
      const answer = await adminJson(red, method, path, body);
      answers.push(answer.text);
      return answer.status;
    };
    const paste = async (): Promise<void> => {
      const token = lab.sim.issueRefreshToken();
      postedTokens.push(token);
      findings.check(
        (await admin('POST', 'aqara/refresh-token', { refresh_token: token, config: CONFIG_ID })) === 200,
        'pasting a token failed',
      );
    };
    /** Presses an inject and waits for the outcome printed by the out or err debug node. */
    const run = async (injectId: string, expect: 'out' | 'err', what: string): Promise<void> => {
      const mark = red.red.mark();
      await pressInject(red, injectId);
      const line = await red.red.waitForLine(/\[debug:(out|err)\]/, {
        since: mark,
        timeoutMs: STEP_TIMEOUT_MS,
      });
      const outcome = line.includes('[debug:out]') ? 'out' : 'err';
      if (outcome === 'out') figures.sceneRunsOk++;
      else figures.sceneRunsFailed++;
      findings.check(
        outcome === expect,
        `${what}: expected ${expect === 'out' ? 'success' : 'an error'}, got ${outcome}`,
      );
    };

    await paste();
    await admin('GET', `aqara/token-status?config=${CONFIG_ID}`);
    await pressInject(red, ID.injStatus);
    await run(ID.injRun, 'out', 'first run (refresh)');
    lab.sim.expireAccessTokens();
    await run(ID.injRun, 'out', 'run after Aqara revoked the access token');

    // Aqara echoing secrets back in its own text: the client must mask them before anyone sees it.
    const accessToken = [...lab.sim.calls].reverse().find((call) => call.accessToken)?.accessToken ?? '';
    lab.sim.injectFault({
      intent: SCENE_INTENT,
      fault: {
        kind: 'code',
        code: 602,
        message: `device offline, Accesstoken ${accessToken} appKey ${lab.app.appKey}`,
      },
    });
    await run(ID.injRun, 'err', 'Aqara echoing the access token and app key');
    await run(ID.injGhost, 'err', 'unknown scene id');
    await run(ID.injBadName, 'err', 'unknown scene name');
    lab.sim.injectFault({ intent: SCENE_INTENT, fault: { kind: 'http500' } });
    await run(ID.injRun, 'err', 'HTTP 500');
    lab.sim.expireAccessTokens();
    lab.sim.injectFault({ intent: REFRESH_INTENT, fault: { kind: 'dropAfterProcessing' } });
    await run(ID.injRun, 'err', 'refresh answer lost');
    await run(ID.injRun, 'err', 'refresh token rotated away by the lost answer');
    await paste();
    await run(ID.injRun, 'out', 'run after pasting a new token');
    await red.red.deploy(flowDefs);
    await run(ID.injRun, 'out', 'run after a full redeploy');
    await admin('GET', `aqara/token-status?config=${CONFIG_ID}`);
    await pressInject(red, ID.injStatus);
    // A token sent in a broken body: the error answer must not quote it.
    const brokenToken = lab.sim.issueRefreshToken();
    postedTokens.push(brokenToken);
    const broken = await httpRequest(red.red.urlFor('aqara/refresh-token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: `{"refresh_token": "${brokenToken}", "config": ${CONFIG_ID}}`,
    });
    answers.push(broken.body.toString('utf8'));
    await red.red.stop();

    // The session must have really happened, or the search below proves nothing.
    const errorsText = red.red.output();
    findings.check(
      /refresh token has expired - please update it manually/.test(errorsText),
      'the expired-token error never reached a Catch node',
    );
    findings.check(/answer was lost/i.test(errorsText), 'the lost-answer error never reached a Catch node');

    // What to look for.
    const appKeys = [lab.app.appKey];
    const accessTokens = [
      ...new Set(lab.sim.calls.map((call) => call.accessToken).filter((token): token is string => !!token)),
    ];
    const refreshTokens = [
      ...new Set([
        ...postedTokens,
        ...lab.sim.currentRefreshTokens(),
        ...lab.sim.calls
          .filter((call) => call.intent === REFRESH_INTENT)
          .map((call) => (call.data as { refreshToken?: string }).refreshToken ?? '')
          .filter((token) => token !== ''),
      ]),
    ];
    figures.secrets = {
      appKeys: appKeys.length,
      accessTokens: accessTokens.length,
      refreshTokens: refreshTokens.length,
    };
    findings.check(accessTokens.length >= 3, `only ${accessTokens.length} access tokens were ever used`);
    const all = { 'app key': appKeys, 'access token': accessTokens, 'refresh token': refreshTokens };
    const noRefresh = { 'app key': appKeys, 'access token': accessTokens };

    const entries = logEntries(red.red.lines);
    const statusEntries = entries.filter((entry) => entry.includes('[debug:status]'));
    const errorEntries = entries.filter((entry) => entry.includes('[debug:err]'));
    findings.check(statusEntries.length > 0, 'no status text was captured');
    const addRow = (
      source: string,
      texts: readonly string[],
      secrets: Record<string, readonly string[]>,
    ): void => {
      const hits = countHits(texts, secrets);
      figures.rows.push({
        source,
        items: texts.length,
        searchedFor: Object.keys(secrets).join(', '),
        hits: hits.total,
      });
      for (const kind of hits.kinds) findings.violation(`a ${kind} appears in ${source}`);
    };
    addRow('Node-RED log lines (trace)', red.red.lines, all);
    addRow('status texts (status node)', statusEntries, all);
    addRow('error messages (catch node)', errorEntries, all);
    addRow('admin API answers', answers, all);

    const flowsFile = join(red.userDir, 'flows.json');
    const credFile = join(red.userDir, 'flows_cred.json');
    addRow('flows.json', [readText(flowsFile)], all);
    const cred = readText(credFile);
    addRow('flows_cred.json', [cred], all);
    figures.credentialsEncrypted = isEncryptedCredentials(cred);
    findings.check(figures.credentialsEncrypted, 'flows_cred.json is not in its encrypted form');
    findings.check(existsSync(credFile), 'flows_cred.json was never written');

    const dbFiles = ['', '-wal', '-shm']
      .map((suffix) => `${red.dbPath}${suffix}`)
      .filter((file) => existsSync(file));
    addRow(
      'token database bytes (db, -wal, -shm)',
      dbFiles.map((file) => readFileSync(file).toString('latin1')),
      noRefresh,
    );
    const others = userFiles(red.userDir).filter(
      (file) => file !== flowsFile && file !== credFile && !dbFiles.includes(file),
    );
    addRow(
      `other user-directory files (${others.map((file) => relative(red.userDir, file)).join(', ')})`,
      others.map(readText),
      all,
    );
  } catch (error) {
    // The log tail says why a step failed; it is shown to the developer running the suite, and the
    // scan above never ran on it, so it is cut to the last lines and the app key is masked.
    const tail = (session?.red.lines ?? []).slice(-25).join('\n').split(lab.app.appKey).join('***');
    findings.violation(`the session failed: ${(error as Error).message}\n${tail}`);
  } finally {
    await session?.stop();
    await lab.close();
  }
  return scenarioOutcome(figures, findings, started);
}

/** Log lines grouped into entries: a debug node's multi-line output belongs to its header line. */
function logEntries(lines: readonly string[]): string[] {
  const entries: string[] = [];
  for (const line of lines) {
    if (LOG_ENTRY_START.test(line) || entries.length === 0) entries.push(line);
    else entries[entries.length - 1] += `\n${line}`;
  }
  return entries;
}

function countHits(
  texts: readonly string[],
  secrets: Record<string, readonly string[]>,
): { total: number; kinds: string[] } {
  const lowered = texts.map((text) => text.toLowerCase());
  let total = 0;
  const kinds = new Set<string>();
  for (const [kind, values] of Object.entries(secrets)) {
    for (const value of values) {
      if (value.length < 6) continue;
      const needle = value.toLowerCase();
      const found = lowered.filter((text) => text.includes(needle)).length;
      total += found;
      if (found > 0) kinds.add(kind);
    }
  }
  return { total, kinds: [...kinds] };
}

function readText(file: string): string {
  return existsSync(file) ? readFileSync(file).toString('latin1') : '';
}

/** Node-RED writes `{"$": "<iv + ciphertext>"}` when it encrypts credentials. */
function isEncryptedCredentials(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return Object.keys(parsed).length === 1 && typeof parsed.$ === 'string';
  } catch {
    return false;
  }
}

/** Every regular file of the user directory except the installed packages. */
function userFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) files.push(...userFiles(path));
    else if (stat.isFile()) files.push(path);
  }
  return files;
}
