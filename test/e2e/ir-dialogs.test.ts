import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { SWITCH_DID, TV_REMOTE_DID } from '../../simulator/devices';
import { AqaraSimulator, DEFAULT_APP } from '../../simulator/server';
import { configFlowNode } from '../../support/flow-nodes';
import { NodeRedProcess } from '../../support/node-red-process';
import { REPO_ROOT } from '../../support/repo';
import { makeTempDir } from '../../support/temp-dir';
import {
  addFromPalette,
  closeNodeTray,
  deploy,
  openEditor,
  openNode,
  readyForScreenshot,
  STEP_TIMEOUT_MS,
  statusLabel,
  textMatches,
  until,
  wire,
} from './editor-page';
import { launchChromium, screenshotDir } from './harness';

/**
 * The aqara-ir and aqara-automation dialogs in a real browser against a real Node-RED that loads this
 * repository as an installed package, and the simulator: a user picks a remote and one of its keys,
 * and an automation, deploys, and the key is pressed and the automation switched through the simulator.
 */

const CONFIG_ID = 'e2e-ir-config';
const TAB_ID = 'e2e-ir-tab';
const AUTOMATION_ID = 'AL.200000000000000002';

function installRepository(userDir: string): void {
  const scope = join(userDir, 'node_modules', '@metron');
  mkdirSync(scope, { recursive: true });
  symlinkSync(REPO_ROOT, join(scope, 'node-red-aqara-cloud'));
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({ name: 'user-dir', dependencies: { '@metron/node-red-aqara-cloud': '*' } }),
  );
}

describe('IR and automation pickers in a real browser', () => {
  const sim = new AqaraSimulator();
  let browser: Browser;
  let red: NodeRedProcess;
  let temp: ReturnType<typeof makeTempDir>;

  before(async () => {
    browser = await launchChromium();
    const simUrl = await sim.start();
    temp = makeTempDir('aqara-e2e-ir-');
    installRepository(temp.path);
    red = await NodeRedProcess.start({
      userDir: temp.path,
      settings: {
        credentialSecret: 'aqara-e2e-credential-secret',
        editorTheme: { tours: false, palette: { catalogues: [] } },
        telemetry: { enabled: false, updateNotification: false },
        aqaraConfigDbPath: join(temp.path, 'db', 'tokens.db'),
      },
    });
    const inject = (id: string, name: string, y: number, payload: string, payloadType: string) => ({
      id,
      type: 'inject',
      z: TAB_ID,
      name,
      props: [{ p: 'payload' }],
      repeat: '',
      once: false,
      payload,
      payloadType,
      x: 120,
      y,
      wires: [[]],
    });
    const flows = [
      { id: TAB_ID, type: 'tab', label: 'Remotes' },
      inject('e2e-inject-press', 'press', 160, '', 'date'),
      inject('e2e-inject-enable', 'enable', 300, 'on', 'str'),
      configFlowNode(CONFIG_ID, { baseUrl: simUrl, ...DEFAULT_APP, name: 'Home' }),
    ];
    await red.deploy(flows);
    const stored = await fetch(red.urlFor('aqara/refresh-token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: sim.issueRefreshToken(), config: CONFIG_ID }),
    });
    assert.equal(stored.status, 200, await stored.text());
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
    await sim.stop();
    temp?.remove();
  });

  it('picks a remote, a key and an automation, deploys, presses the key and switches the automation', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 960 }, locale: 'en-US' });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(90_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await openEditor(page, red.url);
      const ir = await addFromPalette(page, 'aqara-ir', 300, 160);
      await openNode(page, ir);
      await page.locator('#node-input-config').selectOption(CONFIG_ID);
      const remotes = page.locator('#node-input-aqara-ir-device-picker');
      await textMatches(page.locator('#node-input-aqara-ir-picker-status'), /Devices found: 2 /);
      // Only remotes are offered, marked as such; the wall switch of the account is not among them.
      await textMatches(remotes, /Living room TV — virtual\.ir\.tv · IR remote/);
      assert.equal(await remotes.locator(`option[value="${SWITCH_DID}"]`).count(), 0);
      await remotes.selectOption(TV_REMOTE_DID);
      assert.equal(await page.locator('#node-input-device').inputValue(), TV_REMOTE_DID);
      const keys = page.locator('#node-input-aqara-ir-key-picker');
      await textMatches(page.locator('#node-input-aqara-ir-key-status'), /^Keys found: 14\.$/);
      await keys.selectOption('Mute');
      assert.equal(await page.locator('#node-input-key').inputValue(), 'Mute');
      await readyForScreenshot(page);
      await page.screenshot({ path: join(screenshotDir(temp.path), 'screenshot-ir.png') });
      await closeNodeTray(page);

      const automation = await addFromPalette(page, 'aqara-automation', 300, 300);
      await openNode(page, automation);
      await page.locator('#node-input-config').selectOption(CONFIG_ID);
      await textMatches(page.locator('#node-input-aqara-automation-picker-status'), /Automations found: 8 /);
      const automations = page.locator('#node-input-aqara-automation-picker');
      await textMatches(automations, /Away: rice cooker off \(off\)/);
      await automations.selectOption(AUTOMATION_ID);
      assert.equal(await page.locator('#node-input-automation').inputValue(), AUTOMATION_ID);
      assert.equal(await page.locator('#node-input-name').inputValue(), 'Away: rice cooker off');
      await closeNodeTray(page);

      await wire(page, 'e2e-inject-press', ir);
      await wire(page, 'e2e-inject-enable', automation);
      await deploy(page);

      let flows: Array<Record<string, unknown>> = [];
      const deadline = Date.now() + STEP_TIMEOUT_MS * 2;
      while (!flows.some((n) => n.id === automation)) {
        if (Date.now() > deadline) throw new Error('the deploy never reached the runtime');
        await page.waitForTimeout(200);
        flows = (await (await fetch(red.urlFor('flows'))).json()) as Array<Record<string, unknown>>;
      }
      const irNode = flows.find((n) => n.id === ir);
      assert.equal(irNode?.device, TV_REMOTE_DID);
      assert.equal(irNode?.key, 'Mute');

      // The dialog described the remote: the press is one call, through the simulator.
      const before = sim.callCount();
      assert.equal((await fetch(red.urlFor('inject/e2e-inject-press'), { method: 'POST' })).status, 200);
      await until(() => sim.ir.clicks.length === 1, 'the key press');
      assert.equal(sim.ir.clicks[0].keyName, 'Mute');
      assert.equal(sim.callCount() - before, 1, 'one Aqara call for the press');
      await textMatches(statusLabel(page, ir), /^Mute$/);

      assert.equal((await fetch(red.urlFor('inject/e2e-inject-enable'), { method: 'POST' })).status, 200);
      await until(() => sim.linkages.switches.length === 1, 'the automation switch');
      assert.deepEqual(
        sim.linkages.switches.map((change) => [change.linkageId, change.enable]),
        [[AUTOMATION_ID, 1]],
      );
      await textMatches(statusLabel(page, automation), /^enabled$/);
      assert.deepEqual(errors, []);
    } catch (error) {
      const file = join(temp.path, '..', 'aqara-e2e-failure-ir.png');
      await page.screenshot({ path: file }).catch(() => undefined);
      if (error instanceof Error) error.message += `\n(page at the failure: ${file})`;
      throw error;
    } finally {
      await context.close();
    }
  });
});
