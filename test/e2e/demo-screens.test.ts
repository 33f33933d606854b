import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { layOutRows, type UnplacedNode } from '../../support/flow-layout';
import { REPO_ROOT } from '../../support/repo';
import { makeTempDir } from '../../support/temp-dir';
import {
  nodeElement,
  openEditor,
  openNode,
  readyForScreenshot,
  scrollWorkspaceHome,
  STEP_TIMEOUT_MS,
  statusLabel,
  textMatches,
} from './editor-page';
import { launchChromium, screenshotDir } from './harness';
import {
  drawnBoxes,
  labelsInside,
  listShownWhole,
  looksLikeCommitted,
  overlaps,
  selectTextFits,
} from './screen-checks';

/**
 * The first screen a newcomer sees: `npm start`'s demo (run as the README says, in a state folder of its
 * own) in a real browser. Every row is run, no two nodes or status texts overlap, every dialog opens
 * with its lists whole, and the pictures in docs/ (the README's) are taken here: the flow in the light
 * and the dark theme, the config dialog and each node's dialog. UPDATE_SCREENSHOTS=1 writes them.
 */

const DEMO_TAB = 'aqara-demo-tab';
const READY = /\[demo\] Node-RED editor: (\S+) \(/;
const START_TIMEOUT_MS = 120_000;
const EDIT_CONFIG = '#node-input-btn-config-edit, #node-input-lookup-config';

interface RunningDemo {
  url: string;
  child: ChildProcess;
  closed: Promise<void>;
}

/** `npm start` without its build (npm test built already): run-demo.ts on free ports. */
async function startDemo(stateDir: string, theme?: string): Promise<RunningDemo> {
  const env: NodeJS.ProcessEnv = { ...process.env, AQARA_DEMO_DIR: stateDir };
  Object.assign(env, { AQARA_DEMO_NODE_RED_PORT: '0', AQARA_DEMO_SIMULATOR_PORT: '0' });
  if (theme) env.AQARA_DEMO_EDITOR_THEME = theme;
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tools/demo/run-demo.ts')], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the demo did not start: ${lines.slice(-20).join('\n')}`)),
      START_TIMEOUT_MS,
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        lines.push(line);
        const ready = READY.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1]);
        }
      });
    }
    void closed.then(() => reject(new Error(`the demo ended: ${lines.slice(-20).join('\n')}`)));
  });
  return { url, child, closed };
}

async function stopDemo(demo: RunningDemo | undefined): Promise<void> {
  if (!demo || demo.child.exitCode !== null) return;
  demo.child.kill('SIGTERM');
  await demo.closed;
}

describe('the demo in the editor, as the README shows it', { timeout: 10 * 60_000 }, () => {
  let browser: Browser;
  let temp: ReturnType<typeof makeTempDir>;
  let demo: RunningDemo | undefined;
  let shots: string;

  before(async () => {
    browser = await launchChromium();
    temp = makeTempDir('aqara-e2e-demo-');
    shots = screenshotDir(temp.path);
    demo = await startDemo(join(temp.path, 'state'));
  });

  after(async () => {
    await stopDemo(demo);
    await browser?.close();
    temp?.remove();
  });

  async function withPage(
    name: string,
    steps: (page: Page, errors: string[]) => Promise<void>,
  ): Promise<void> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 960 },
      deviceScaleFactor: 1,
      locale: 'en-US',
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await steps(page, errors);
    } catch (error) {
      const file = join(temp.path, `failure-${name}.png`);
      await page.screenshot({ path: file }).catch(() => undefined);
      if (error instanceof Error) error.message += `\n(page at the failure: ${file})`;
      throw error;
    } finally {
      await context.close();
    }
  }

  /** Takes a picture for docs/ and compares it loosely with the committed one. */
  async function picture(page: Page, name: string): Promise<void> {
    await readyForScreenshot(page);
    const png = await page.screenshot({ path: join(shots, name) });
    await looksLikeCommitted(page, png, name);
  }

  async function showDemoTab(page: Page): Promise<void> {
    await nodeElement(page, 'aqara-demo-events').locator('.red-ui-flow-node').first().waitFor();
    await page.evaluate(() =>
      (globalThis as unknown as { RED: { sidebar: { show(tab: string): void } } }).RED.sidebar.show('debug'),
    );
    await scrollWorkspaceHome(page);
  }

  async function noOverlaps(page: Page, tab: string): Promise<void> {
    const boxes = await drawnBoxes(page, tab);
    assert.ok(boxes.length > 10, `the tab's nodes are drawn (${boxes.length})`);
    assert.deepEqual(overlaps(boxes), [], 'no two nodes or status texts overlap');
    assert.deepEqual(await labelsInside(page, tab), [], 'every label inside its node');
  }

  it('every row runs, nothing overlaps, and the flow looks as in docs/', async () => {
    await withPage('demo-flow', async (page, errors) => {
      await openEditor(page, demo!.url);
      await showDemoTab(page);
      // The rows, each run once: the statuses under the nodes are part of what must not overlap.
      const press = async (inject: string): Promise<void> => {
        await nodeElement(page, inject).locator('.red-ui-flow-node-button').click();
        await scrollWorkspaceHome(page);
      };
      await textMatches(statusLabel(page, 'aqara-demo-scene-pin'), /^ready$/);
      await press('aqara-demo-inject-pin');
      await textMatches(statusLabel(page, 'aqara-demo-scene-pin'), /^ran tv_pin_entry$/);
      await press('aqara-demo-inject-sensor');
      await textMatches(statusLabel(page, 'aqara-demo-sensor'), /^\d+ and 1 more$/);
      // The events row has read the switch once (its baseline) before the switch is turned.
      await textMatches(statusLabel(page, 'aqara-demo-events'), /^watching/, 60_000);
      await press('aqara-demo-inject-switch-on');
      await textMatches(statusLabel(page, 'aqara-demo-switch'), /^true$|^1$/);
      await press('aqara-demo-inject-status');
      // The events row hears the switch at its next poll (every 10 s in the demo).
      await textMatches(statusLabel(page, 'aqara-demo-events'), /\(poll\)$/, 60_000);
      await noOverlaps(page, DEMO_TAB);
      await picture(page, 'screenshot-flow.png');
      assert.deepEqual(errors, [], 'no script errors in the editor');
    });
  });

  it('any label length: rows of long and short labels are laid out without overlap', async () => {
    // The layout the demo uses, with labels far longer (and shorter) than the demo's, in a tab of its own.
    const long = 'A very long node name that somebody typed to see what happens';
    const names = ['x', long, `${long} ${long}`, '温度和湿度传感器的每一个变化', 'Wide WWW MMM @@@ %%%'];
    const rows = names.map((name, index) => ({
      comment: { id: `long-c${index}`, type: 'comment', name: `${index}: ${name}` } as UnplacedNode,
      lines: [
        [
          { id: `long-i${index}`, type: 'inject', name, props: [], wires: [[`long-s${index}`]] },
          { id: `long-s${index}`, type: 'aqara-scene', name: names[(index + 1) % names.length], wires: [[]] },
          { id: `long-d${index}`, type: 'debug', name: names[(index + 2) % names.length], wires: [] },
        ],
        [
          {
            id: `long-j${index}`,
            type: 'inject',
            name: names[(index + 3) % names.length],
            props: [],
            wires: [],
          },
        ],
      ],
    }));
    const added = await fetch(new URL('flow', demo!.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ label: 'Long labels', nodes: layOutRows(rows) }),
    });
    const body = await added.text();
    assert.equal(added.status, 200, body);
    const tab = (JSON.parse(body) as { id: string }).id;
    try {
      await withPage('long-labels', async (page) => {
        await openEditor(page, demo!.url);
        await page.evaluate(
          (id) =>
            (
              globalThis as unknown as { RED: { workspaces: { show(id: string): void } } }
            ).RED.workspaces.show(id),
          tab,
        );
        await textMatches(page.locator('#red-ui-workspace-chart'), /Wide WWW/);
        await noOverlaps(page, tab);
      });
    } finally {
      await fetch(new URL(`flow/${tab}`, demo!.url), { method: 'DELETE' });
    }
  });

  it('each dialog opens with its lists whole and its choices readable, as in docs/', async () => {
    await withPage('demo-dialogs', async (page, errors) => {
      await openEditor(page, demo!.url);
      await showDemoTab(page);

      // The config dialog, from the scene node: the scenes list shows all three scenes.
      await openNode(page, 'aqara-demo-scene-pin');
      await textMatches(page.locator('#node-input-aqara-scene-picker-status'), /Scenes found/);
      await picture(page, 'screenshot-aqara-scene.png');
      await page.locator(EDIT_CONFIG).click();
      await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
      const status = page.locator('#node-config-aqara-token-status');
      await textMatches(status.locator('[data-row="state"]'), /ready/);
      // Every number field shows its default, Poll every too.
      for (const [field, fallback] of [
        ['keepAliveDays', '7'],
        ['rateLimit', '300'],
        ['pollSeconds', '60'],
      ]) {
        assert.equal(await page.locator(`#node-config-input-${field}`).getAttribute('placeholder'), fallback);
      }
      const scenes = page.locator('#node-config-aqara-scenes');
      assert.equal(await scenes.locator('.aqara-scene-name').count(), 3);
      await listShownWhole(scenes.locator('xpath=..'));
      // The picture shows the scenes and, below them, the token status.
      await scenes.evaluate((el) => (el as unknown as { scrollIntoView(): void }).scrollIntoView());
      await picture(page, 'screenshot-config-dialog.png');
      await page.locator('#node-config-dialog-cancel').click();
      await page.locator('#node-config-dialog-cancel').waitFor({ state: 'detached' });
      await page.locator('#node-dialog-cancel').click();

      await openNode(page, 'aqara-demo-token-status');
      await picture(page, 'screenshot-aqara-token-status.png');
      await page.locator('#node-dialog-cancel').click();

      // The device dialogs: the device and resource choices are not cut, the resource lists whole.
      for (const [id, type] of [
        ['aqara-demo-sensor', 'aqara-device-get'],
        ['aqara-demo-switch', 'aqara-device-out'],
        ['aqara-demo-events', 'aqara-device-in'],
      ]) {
        await openNode(page, id);
        await textMatches(page.locator(`#node-input-${type}-picker-status`), /Devices found/);
        await textMatches(page.locator(`#node-input-${type}-resource-status`), /Resources of/);
        await selectTextFits(page.locator(`#node-input-${type}-device-picker`));
        if (type === 'aqara-device-out') {
          await selectTextFits(page.locator('#node-input-aqara-device-out-resource-picker'));
        } else {
          const list = page.locator(`#node-input-${type}-resources`);
          await list.locator('input[type="checkbox"]').first().waitFor();
          await listShownWhole(list);
        }
        await picture(page, `screenshot-${type}.png`);
        await page.locator('#node-dialog-cancel').click();
        await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
      }
      assert.deepEqual(errors, [], 'no script errors in the editor');
    });
  });

  it('the flow in the dark theme: nothing overlaps, and it looks as in docs/', async () => {
    await stopDemo(demo);
    demo = undefined;
    demo = await startDemo(join(temp.path, 'state'), 'dark');
    await withPage('demo-dark', async (page) => {
      await openEditor(page, demo!.url);
      await showDemoTab(page);
      await textMatches(statusLabel(page, 'aqara-demo-scene-pin'), /^ready$/);
      await noOverlaps(page, DEMO_TAB);
      await picture(page, 'screenshot-flow-dark.png');
    });
  });
});
