import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';

import { SWITCH_DID } from '../../simulator/devices';
import { AqaraSimulator, DEFAULT_APP } from '../../simulator/server';
import { PushJournal } from '../../src/lib/push/push-journal';
import { TokenStore } from '../../src/lib/tokens/store';
import { configFlowNode } from '../../support/flow-nodes';
import { NodeRedProcess } from '../../support/node-red-process';
import { installSourcePackage } from '../../support/install-package';
import { makeTempDir } from '../../support/temp-dir';

/**
 * A real Node-RED, killed with SIGKILL right after it acknowledged a push, then started again: the
 * push is emitted once by the aqara-device-in node of the restarted flow, and Aqara sending the same
 * msgId again after the restart is acknowledged without a second message.
 */

const CONFIG_ID = 'c0ffee00000000aa';
const SECRET = 'R'.repeat(43);

function writeFlows(userDir: string, baseUrl: string, withDeviceIn: boolean, outFile: string): void {
  const flows: Record<string, unknown>[] = [
    { id: 'tab1', type: 'tab', label: 'push' },
    configFlowNode(CONFIG_ID, {
      baseUrl,
      appId: DEFAULT_APP.appId,
      keyId: DEFAULT_APP.keyId,
      name: 'home',
      more: { push: true, pollSeconds: 0 },
    }),
  ];
  if (withDeviceIn) {
    flows.push(
      {
        id: 'in1',
        type: 'aqara-device-in',
        z: 'tab1',
        config: CONFIG_ID,
        device: SWITCH_DID,
        resources: ['4.1.85'],
        x: 100,
        y: 100,
        wires: [['fmt1']],
      },
      {
        id: 'fmt1',
        type: 'change',
        z: 'tab1',
        rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'data.time', tot: 'msg' }],
        x: 300,
        y: 100,
        wires: [['file1']],
      },
      {
        id: 'file1',
        type: 'file',
        z: 'tab1',
        filename: outFile,
        filenameType: 'str',
        appendNewline: true,
        createDir: false,
        overwriteFile: 'false',
        encoding: 'utf8',
        x: 500,
        y: 100,
        wires: [],
      },
    );
  }
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flows));
  // credentialSecret false: Node-RED reads this file as plain JSON.
  writeFileSync(
    join(userDir, 'flows_cred.json'),
    JSON.stringify({ [CONFIG_ID]: { appKey: DEFAULT_APP.appKey, pushSecret: SECRET } }),
  );
}

const temp = makeTempDir('aqara-push-restart-');
const sim = new AqaraSimulator();
let red: NodeRedProcess | undefined;
after(async () => {
  await red?.stop();
  await sim.stop();
  temp.remove();
});

it(
  'SIGKILL right after the 200: after the restart the push is emitted once, its redelivery not at all',
  { timeout: 180_000 },
  async () => {
    const baseUrl = await sim.start();
    const dbPath = join(temp.path, 'db', 'tokens.db');
    const outFile = join(temp.path, 'emitted.txt');
    installSourcePackage(temp.path);
    TokenStore.open(dbPath).write(CONFIG_ID, sim.issueRefreshToken(), DEFAULT_APP.appId);
    const settings = {
      flowFile: 'flows.json',
      credentialSecret: false,
      aqaraConfigDbPath: dbPath,
      logging: { console: { level: 'info' } },
    };

    // 1. Push on, no device-in node yet: the push is journaled and acknowledged, nobody emits it.
    writeFlows(temp.path, baseUrl, false, outFile);
    red = await NodeRedProcess.start({ userDir: temp.path, settings });
    sim.push.setTarget(red.urlFor(`aqara/push/${CONFIG_ID}/${SECRET}`), { retries: 0 });
    const time = Date.now() + 60_000;
    const [delivery] = await sim.push.event('subdevice_online', { did: SWITCH_DID }, { msgId: 'evt-0' });
    assert.deepEqual(delivery.attempts, [200]);
    // With no device-in node nothing subscribes; the simulator only pushes subscribed resources, so the
    // subscription is made directly on it, as if an earlier run had made it.
    const reportBody = { subjectId: SWITCH_DID, resourceId: '4.1.85', value: '1', time };
    sim.push.intentHandlers().get('config.resource.subscribe')?.(
      { app: DEFAULT_APP },
      { resources: [{ subjectId: SWITCH_DID, resourceIds: ['4.1.85'] }] },
    );
    const [report] = await sim.push.report([reportBody], { msgId: 'rep-1' });
    assert.deepEqual(report.attempts, [200]);
    (red as unknown as { child: ChildProcess }).child.kill('SIGKILL');
    await red.stop();
    red = undefined;
    // Written before the 200, so still there; not emitted.
    assert.deepEqual(
      PushJournal.open(dbPath)
        .pending(CONFIG_ID)
        .map((entry) => entry.msgId),
      ['evt-0', 'rep-1'],
    );

    // 2. Restart with the device-in node: the acknowledged push reaches the flow once.
    writeFlows(temp.path, baseUrl, true, outFile);
    red = await NodeRedProcess.start({ userDir: temp.path, settings });
    const deadline = Date.now() + 30_000;
    while (!(existsSync(outFile) && readFileSync(outFile, 'utf8').includes(String(time)))) {
      assert.ok(Date.now() < deadline, `the push never reached the flow\n${red.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    sim.push.setTarget(red.urlFor(`aqara/push/${CONFIG_ID}/${SECRET}`), { retries: 0 });
    // Aqara redelivering the same message after the restart: acknowledged, not emitted again.
    const [again] = await sim.push.report([reportBody], { msgId: 'rep-1' });
    assert.deepEqual(again.attempts, [200]);
    await new Promise((r) => setTimeout(r, 500));
    const lines = readFileSync(outFile, 'utf8')
      .split('\n')
      .filter((line) => line === String(time));
    assert.equal(lines.length, 1, readFileSync(outFile, 'utf8'));
    assert.deepEqual(PushJournal.open(dbPath).pending(CONFIG_ID), []);
  },
);
