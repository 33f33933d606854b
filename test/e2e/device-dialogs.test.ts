import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { SWITCH_DID } from '../../simulator/devices';
import { AqaraSimulator, DEFAULT_APP } from '../../simulator/server';
import { NodeRedProcess } from '../../support/node-red-process';
import { makeTempDir } from '../../support/temp-dir';
import {
  addFromPalette,
  closeNodeTray,
  deploy,
  openEditor,
  openNode,
  STEP_TIMEOUT_MS,
  statusLabel,
  textMatches,
  until,
  wire,
} from './editor-page';
import { REPO_ROOT } from '../../support/repo';
import { launchChromium } from './harness';

/**
 * The device pickers in a real browser against a real Node-RED that loads this repository as an
 * installed package (the build in dist/, the editor files in nodes/), and the simulator: a user picks a
 * device and its resources, deploys, and the nodes read and write through the simulator.
 */

const CONFIG_ID = 'e2e-devices-config';

function installRepository(userDir: string): void {
  const scope = join(userDir, 'node_modules', '@metron');
  mkdirSync(scope, { recursive: true });
  symlinkSync(REPO_ROOT, join(scope, 'node-red-aqara-cloud'));
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({ name: 'user-dir', dependencies: { '@metron/node-red-aqara-cloud': '*' } }),
  );
}

describe('device pickers in a real browser', () => {
  const sim = new AqaraSimulator();
  let browser: Browser;
  let red: NodeRedProcess;
  let temp: ReturnType<typeof makeTempDir>;

  before(async () => {
    browser = await launchChromium();
    const simUrl = await sim.start();
    sim.devices.setValue(SWITCH_DID, '4.2.85', '0');
    temp = makeTempDir('aqara-e2e-devices-');
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
    // The config is set up through the admin API: the config dialog has its own browser test.
    const inject = (id: string, name: string, y: number, payload: string, payloadType: string) => ({
      id,
      type: 'inject',
      z: 'e2e-devices-tab',
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
      { id: 'e2e-devices-tab', type: 'tab', label: 'Devices' },
      inject('e2e-inject-read', 'read', 160, '', 'date'),
      inject('e2e-inject-write', 'write 1', 300, '1', 'num'),
      {
        id: CONFIG_ID,
        type: 'aqara-config',
        name: 'Home',
        region: 'custom',
        baseUrl: simUrl,
        appId: DEFAULT_APP.appId,
        keyId: DEFAULT_APP.keyId,
        scenes: {},
        credentials: { appKey: DEFAULT_APP.appKey },
      },
    ];
    const deployed = await fetch(red.urlFor('flows'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    assert.equal(deployed.status, 204);
    // The flows start after the deploy answers: wait until the config is there.
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while ((await fetch(red.urlFor(`aqara/token-status?config=${CONFIG_ID}`))).status !== 200) {
      if (Date.now() > deadline) throw new Error('the config node never started');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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

  /** Picks the config and the wall switch in an open device dialog. */
  async function pickSwitch(page: Page, prefix: string): Promise<void> {
    await page.locator('#node-input-config').selectOption(CONFIG_ID);
    const picker = page.locator(`#node-input-${prefix}-device-picker`);
    await textMatches(page.locator(`#node-input-${prefix}-picker-status`), /Devices found: \d+/);
    // Aqara's names reach the page as text: the Chinese name of the plug is there, unescaped.
    await textMatches(picker, /电饭煲插座/);
    await picker.selectOption(SWITCH_DID);
    assert.equal(await page.locator('#node-input-device').inputValue(), SWITCH_DID);
  }

  it('picks a device and its resources, deploys, reads and writes through the simulator', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 960 }, locale: 'en-US' });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    // The editor's first load is the heaviest step; a busy shared machine can take longer than a step.
    context.setDefaultNavigationTimeout(90_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await openEditor(page, red.url);
      const get = await addFromPalette(page, 'aqara-device-get', 300, 160);
      await openNode(page, get);
      await pickSwitch(page, 'aqara-device-get');
      const resources = page.locator('#node-input-aqara-device-get-resources');
      await textMatches(resources, /Left switch \(4\.1\.85\) 0…1, read\/write/);
      await resources.locator('input[value="4.1.85"]').check();
      await resources.locator('input[value="14.17.85"]').check();
      await closeNodeTray(page);

      const out = await addFromPalette(page, 'aqara-device-out', 300, 300);
      await openNode(page, out);
      await pickSwitch(page, 'aqara-device-out');
      const resourcePicker = page.locator('#node-input-aqara-device-out-resource-picker');
      await textMatches(resourcePicker, /右键开关 \(4\.2\.85\)/);
      // Another channel first, then the one the test writes: picking again replaces the id.
      await resourcePicker.selectOption('4.1.85');
      assert.equal(await page.locator('#node-input-resource').inputValue(), '4.1.85');
      await resourcePicker.selectOption('4.2.85');
      assert.equal(await page.locator('#node-input-resource').inputValue(), '4.2.85');
      await closeNodeTray(page);
      await wire(page, 'e2e-inject-read', get);
      await wire(page, 'e2e-inject-write', out);
      await deploy(page);

      // The runtime has the deploy once GET /flows lists the new nodes.
      let flows: Array<Record<string, unknown>> = [];
      const deadline = Date.now() + STEP_TIMEOUT_MS * 2;
      while (!flows.some((n) => n.id === out)) {
        if (Date.now() > deadline) throw new Error('the deploy never reached the runtime');
        await page.waitForTimeout(200);
        flows = (await (await fetch(red.urlFor('flows'))).json()) as Array<Record<string, unknown>>;
      }
      const getNode = flows.find((n) => n.id === get);
      assert.deepEqual(getNode?.resources, ['4.1.85', '14.17.85']);
      assert.equal(getNode?.device, SWITCH_DID);

      // The injects deployed beforehand drive the new nodes.
      assert.equal((await fetch(red.urlFor('inject/e2e-inject-read'), { method: 'POST' })).status, 200);
      await textMatches(statusLabel(page, get), /^0 and 1 more$/);
      assert.equal((await fetch(red.urlFor('inject/e2e-inject-write'), { method: 'POST' })).status, 200);
      await until(
        () => sim.devices.value(SWITCH_DID, '4.2.85') === '1' && sim.devices.writes.length === 1,
        'the write',
      );
      await textMatches(statusLabel(page, out), /^1$/);
      // Both dialogs and the nodes used the switch model's definitions: Aqara was asked once.
      assert.equal(sim.callCount('query.resource.info'), 1);

      // aqara-device-in has the same shared device picker; its status line counts the model's resources.
      const watch = await addFromPalette(page, 'aqara-device-in', 300, 440);
      await openNode(page, watch);
      await pickSwitch(page, 'aqara-device-in');
      await textMatches(
        page.locator('#node-input-aqara-device-in-resource-status'),
        /^Resources of \S+: \d+\.$/,
      );
      await page.locator('#node-dialog-cancel').click();
      assert.equal(sim.callCount('query.resource.info'), 1, 'the definitions came from the cache');
      assert.deepEqual(errors, []);
    } catch (error) {
      const file = join(temp.path, '..', 'aqara-e2e-failure-devices.png');
      await page.screenshot({ path: file }).catch(() => undefined);
      if (error instanceof Error) error.message += `\n(page at the failure: ${file})`;
      throw error;
    } finally {
      await context.close();
    }
  });
});
