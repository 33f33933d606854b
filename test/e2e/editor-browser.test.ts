import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
// Node-RED's own bcrypt (a dependency of @node-red/editor-api): adminAuth stores only hashes.
import bcrypt from 'bcryptjs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  AqaraSimulator,
  DEFAULT_APP,
  DEFAULT_POSITION_ID,
  DEFAULT_SCENES,
  type SimulatorPosition,
  type SimulatorScene,
} from '../../simulator/server';
import { NodeRedProcess } from '../../support/node-red-process';
import { makeTempDir } from '../../support/temp-dir';
import {
  addFromPalette,
  closeNodeTray,
  deploy,
  nodeElement,
  nodeIds,
  openEditor,
  openNode,
  readyForScreenshot,
  reloadUntil,
  scrollWorkspaceHome,
  STEP_TIMEOUT_MS,
  statusLabel,
  textMatches,
  until,
  wire,
} from './editor-page';
import { installSourcePackage } from '../../support/install-package';
import { launchChromium, screenshotDir } from './harness';

/**
 * The editor in a real browser (Debian's Chromium through playwright-core) against a real Node-RED
 * child process loading the nodes from src/, and the Aqara simulator: what a user does to set the
 * nodes up, including the admin routes behind Node-RED's login. Screenshots for the README are taken
 * here (UPDATE_SCREENSHOTS=1 writes them to docs/).
 */

const OFFICE: SimulatorPosition = { positionId: 'real1.office', positionName: 'Office' };
const POSITIONS: SimulatorPosition[] = [{ positionId: DEFAULT_POSITION_ID, positionName: 'Home' }, OFFICE];
const SCENES: SimulatorScene[] = [
  ...DEFAULT_SCENES.map((scene) => ({ ...scene })),
  { sceneId: 'AL.200000000000000001', name: 'Office lights on', positionId: OFFICE.positionId },
  { sceneId: 'AL.200000000000000002', name: 'Office blinds down', positionId: OFFICE.positionId },
];
const PIN_ENTRY = DEFAULT_SCENES[0];
const OFFICE_LIGHTS = SCENES[3];
const OFFICE_BLINDS = SCENES[4];
const WARNING = DEFAULT_SCENES[1];

/** The buttons beside a config select: Node-RED 4 has add and edit; before, one pencil did both. */
const ADD_CONFIG = '#node-input-btn-config-add, #node-input-lookup-config';
const EDIT_CONFIG = '#node-input-btn-config-edit, #node-input-lookup-config';

const VIEWPORT = { width: 1280, height: 960 };
/** Settings both Node-RED instances share: quiet, offline, no tour over the workspace. */
const COMMON_SETTINGS = {
  credentialSecret: 'aqara-e2e-credential-secret',
  editorTheme: { tours: false, palette: { catalogues: [] } },
  telemetry: { enabled: false, updateNotification: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};

const errorColor = /rgb\(\s*(1[5-9]\d|2\d\d)\s*,\s*\d{1,2}\s*,\s*\d{1,2}\s*\)/;

describe('the editor in a real browser', () => {
  const sim = new AqaraSimulator({ positions: POSITIONS, scenes: SCENES });
  let simUrl: string;
  let browser: Browser;

  before(async () => {
    // First, so a missing Chromium fails the suite at once with the fix in the message.
    browser = await launchChromium();
    simUrl = await sim.start();
  });

  after(async () => {
    await browser?.close();
    await sim.stop();
  });

  /** A page that records its script errors, so a broken editor script fails the test. */
  async function newPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'en-US' });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    return { context, page, errors };
  }

  /**
   * Runs the steps on a fresh page; on failure the page is saved as a screenshot next to the system's
   * temp files and its path added to the error, since a browser test's failure is hard to read otherwise.
   */
  async function withPage(
    name: string,
    steps: (page: Page, errors: string[]) => Promise<void>,
  ): Promise<void> {
    const { context, page, errors } = await newPage();
    try {
      await steps(page, errors);
    } catch (error) {
      const file = join(tmpdir(), `aqara-e2e-failure-${name}.png`);
      await page.screenshot({ path: file }).catch(() => undefined);
      if (error instanceof Error) error.message += `\n(page at the failure: ${file})`;
      throw error;
    } finally {
      await context.close();
    }
  }

  describe('without admin authentication', () => {
    // Made in before(), not here: when the browser is missing nothing runs, and nothing is left behind.
    let temp: ReturnType<typeof makeTempDir>;
    let shots: string;
    let red: NodeRedProcess;

    before(async () => {
      temp = makeTempDir('aqara-e2e-');
      shots = screenshotDir(temp.path);
      installSourcePackage(temp.path);
      red = await NodeRedProcess.start({
        userDir: temp.path,
        settings: { ...COMMON_SETTINGS, aqaraConfigDbPath: join(temp.path, 'db', 'tokens.db') },
      });
    });

    after(async () => {
      await red?.stop();
      temp?.remove();
    });

    it('sets up a config, saves a token, picks a scene from the account and runs it', async () => {
      await withPage('setup', async (page, errors) => {
        await openEditor(page, red.url);

        // A scene node, and a new config for it through the + beside the node's config select.
        const sceneNode = await addFromPalette(page, 'aqara-scene', 460, 220);
        await openNode(page, sceneNode);
        await textMatches(
          page.locator('#node-input-aqara-scene-picker-status'),
          /Select or add a configuration/,
        );
        await page.locator(ADD_CONFIG).click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        await textMatches(page.locator('#node-config-aqara-token-status'), /Deploy this configuration first/);

        await page.locator('#node-config-input-name').fill('Home');
        await page.locator('#node-config-input-region').selectOption('custom');
        await page.locator('#node-config-input-baseUrl').fill(simUrl);
        await page.locator('#node-config-input-appId').fill(DEFAULT_APP.appId);
        await page.locator('#node-config-input-keyId').fill(DEFAULT_APP.keyId);
        await page.locator('#node-config-input-appKey').fill(DEFAULT_APP.appKey);
        // One named scene, so the picker can show that it prefers the config's name to the raw id.
        await page.locator('.node-config-aqara-scenes-row .red-ui-editableList-addButton').click();
        await page.locator('#node-config-aqara-scenes .aqara-scene-name').last().fill(PIN_ENTRY.name);
        await page.locator('#node-config-aqara-scenes .aqara-scene-id').last().fill(PIN_ENTRY.sceneId);
        await page.locator('#node-config-dialog-ok').click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });

        // Back in the scene node: the new config exists only in the editor so far.
        await textMatches(
          page.locator('#node-input-aqara-scene-picker-status'),
          /Deploy the configuration first/,
        );
        await closeNodeTray(page);
        await deploy(page);

        // Deployed, but without a refresh token: both dialogs say what to do.
        await openNode(page, sceneNode);
        await textMatches(page.locator('#node-input-aqara-scene-picker-status'), /No refresh token yet/);
        await page.locator(EDIT_CONFIG).click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        const status = page.locator('#node-config-aqara-token-status');
        await textMatches(status.locator('[data-row="refresh-updated"]'), /not saved yet/);
        await textMatches(status.locator('[data-row="state"]'), /no token/);

        const token = sim.issueRefreshToken();
        await page.locator('#node-config-aqara-refresh-token').fill(token);
        await page.locator('#node-config-aqara-save-token').click();
        await textMatches(page.locator('#node-config-aqara-token-result'), /Refresh token saved/);
        assert.equal(
          await page.locator('#node-config-aqara-refresh-token').inputValue(),
          '',
          'field cleared',
        );
        // The status is read again after Save: stored now, with the expiry estimate.
        await textMatches(status.locator('[data-row="refresh-updated"]'), /saved .*\d{4}/);
        await textMatches(status.locator('[data-row="refresh-expires"]'), /about .*\d{4}.*estimate/);
        await textMatches(status.locator('[data-row="last-error"]'), /none/);
        // The picker underneath lists the scenes now, which fetches an access token; reload shows it.
        await until(() => sim.callCount('query.scene.listByPositionId') > 0, 'the picker to list scenes');
        await page.locator('#node-config-aqara-reload-status').click();
        await textMatches(status.locator('[data-row="access"]'), /valid for \d+ d \d+ h/);
        await textMatches(status.locator('[data-row="state"]'), /ready/);
        await status.scrollIntoViewIfNeeded();
        await readyForScreenshot(page);
        // The README's picture of this dialog is the demo's (demo-screens.test.ts); this one is for failures.
        await page.screenshot({ path: join(temp.path, 'config-dialog-setup.png') });
        assert.ok(!(await page.content()).includes(token), 'the token is nowhere in the page after Save');
        await page.locator('#node-config-dialog-ok').click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });

        // The token saved in the config dialog made the picker list the account's scenes by itself.
        const pickerStatus = page.locator('#node-input-aqara-scene-picker-status');
        await textMatches(pickerStatus, new RegExp(`Scenes found in the Aqara account: ${SCENES.length}\\.`));
        const groups = await page
          .locator('#node-input-aqara-scene-picker optgroup')
          .evaluateAll((els) => els.map((el) => el.getAttribute('label')));
        assert.deepEqual(groups, ['Home', 'Office']);
        const sceneField = page.locator('#node-input-scene');
        const picker = page.locator('#node-input-aqara-scene-picker');
        const nameField = page.locator('#node-input-name');
        await picker.selectOption(OFFICE_LIGHTS.sceneId);
        // Not in the config's map: the raw id, and the node is named after the scene.
        assert.equal(await sceneField.inputValue(), OFFICE_LIGHTS.sceneId);
        assert.equal(await nameField.inputValue(), OFFICE_LIGHTS.name);

        // Typing suggests the config's names and the account's scenes, with their home.
        await sceneField.fill('');
        await sceneField.pressSequentially('off');
        const suggestions = page.locator('.red-ui-autoComplete-container li');
        await textMatches(suggestions.last(), /^Office blinds down \u2014 Office$/);
        assert.deepEqual(await suggestions.allTextContents(), [
          'tv_power_off \u2014 Home',
          'Office lights on \u2014 Office',
          'Office blinds down \u2014 Office',
        ]);
        await readyForScreenshot(page);
        await page.screenshot({ path: join(shots, 'screenshot-scene-picker.png') });
        await suggestions.last().click();
        assert.equal(await sceneField.inputValue(), OFFICE_BLINDS.sceneId);
        assert.equal(await picker.inputValue(), OFFICE_BLINDS.sceneId);
        assert.equal(await nameField.inputValue(), OFFICE_BLINDS.name, 'the name it gave follows the pick');

        await picker.selectOption(PIN_ENTRY.sceneId);
        // In the config's map: its name, and the name given for the raw id is taken back.
        assert.equal(await sceneField.inputValue(), PIN_ENTRY.name);
        assert.equal(await nameField.inputValue(), '');

        await closeNodeTray(page);
        await scrollWorkspaceHome(page);

        // Wired from an inject, deployed, run from the inject button.
        const inject = await addFromPalette(page, 'inject', 200, 220);
        await wire(page, inject, sceneNode);
        await deploy(page);
        await textMatches(statusLabel(page, sceneNode), /^ready$/);
        const runsBefore = sim.sceneRuns.length;
        await nodeElement(page, inject).locator('.red-ui-flow-node-button').click();
        // Playwright scrolls an SVG target into view even when it is visible; undo that for the picture.
        await scrollWorkspaceHome(page);
        await textMatches(statusLabel(page, sceneNode), new RegExp(`^ran ${PIN_ENTRY.name}$`));
        await nodeElement(page, sceneNode).locator('.red-ui-flow-node-status-dot-green').waitFor();
        await readyForScreenshot(page);
        await page.screenshot({ path: join(temp.path, 'flow-setup.png') });
        await until(() => sim.sceneRuns.length > runsBefore, 'the simulator to record the scene run');
        assert.equal(sim.sceneRuns.at(-1)?.sceneId, PIN_ENTRY.sceneId);

        assert.deepEqual(errors, [], 'no script errors in the editor');
        for (const secret of [token, DEFAULT_APP.appKey, ...sim.currentRefreshTokens()]) {
          assert.ok(!red.output().includes(secret), 'no secret in the Node-RED log');
        }
      });
    });

    it('explains an Aqara refusal under the picker in words, not as a stack', async () => {
      await withPage('refusal', async (page) => {
        await openEditor(page, red.url);
        const [sceneNode] = await nodeIds(page, 'aqara-scene');
        sim.injectFault({
          intent: 'query.position.info',
          fault: { kind: 'code', code: 708, message: 'scene permission denied' },
        });
        await openNode(page, sceneNode);
        const pickerStatus = page.locator('#node-input-aqara-scene-picker-status');
        // The listing the first test made is kept (listing-cache.ts): only a granted reload asks Aqara.
        await textMatches(pickerStatus, /Scenes found/);
        const text = await reloadUntil(
          page.locator('#node-input-aqara-scene-reload'),
          pickerStatus,
          /Aqara did not list the scenes: .*708/,
        );
        assert.match(text, /scene permission denied/);
        assert.doesNotMatch(text, /\bat \S+ \(|Error:/);
        const color = await pickerStatus.evaluate(
          (el) =>
            (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(
              el,
            ).color,
        );
        assert.match(color, errorColor);
        // The failure is not kept: the reload button shows the account's scenes again.
        await page.locator('#node-input-aqara-scene-reload').click();
        await textMatches(pickerStatus, /Scenes found/);
      }).finally(() => sim.clearFaults());
    });

    it('with push on, the config dialog shows the push URL with a copy button; the secret stays out of flows.json', async () => {
      await withPage('push', async (page, errors) => {
        await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: red.url });
        await openEditor(page, red.url);
        const [sceneNode] = await nodeIds(page, 'aqara-scene');
        await openNode(page, sceneNode);
        await page.locator(EDIT_CONFIG).click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        const url = page.locator('#node-config-aqara-push-url');
        const copy = page.locator('#node-config-aqara-push-copy');
        assert.equal(await url.isVisible(), false, 'no push URL while push is off');
        await page.locator('#node-config-input-push').check();
        await url.waitFor({ state: 'visible' });
        assert.ok(await copy.isVisible(), 'a copy button beside the URL');
        await textMatches(page.locator('#node-config-aqara-poll-unit'), /at least 10\)/);
        const shown = await url.inputValue();
        const parts = /^(.*)\/aqara\/push\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(shown);
        assert.ok(parts, `push URL ${shown}`);
        const [, base, configId, secret] = parts;
        assert.equal(`${base}/`, red.url.replace(/\/?$/, '/'), 'the base URL is where the editor runs');
        assert.ok(secret.length >= 22, 'at least 128 bits of base64url');
        await copy.click();
        await textMatches(page.locator('.red-ui-notification').last(), /Push URL copied/);
        assert.equal(
          await page.evaluate(() =>
            (
              globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
            ).navigator.clipboard.readText(),
          ),
          shown,
        );

        await page.locator('#node-config-dialog-ok').click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
        await closeNodeTray(page);
        await deploy(page);

        // Exported and stored flows hold the switch, never the secret (an encrypted credential).
        // The Deploy button may grey out before the runtime has the new flows: read until it has them.
        let flowsText = '';
        const deadline = Date.now() + STEP_TIMEOUT_MS;
        for (;;) {
          const exported = await fetch(new URL('flows', red.url), {
            headers: { 'Node-RED-API-Version': 'v1' },
          });
          flowsText = await exported.text();
          const flows = JSON.parse(flowsText) as Array<Record<string, unknown>>;
          if (flows.find((n) => n.id === configId)?.push === true) break;
          assert.ok(
            Date.now() < deadline,
            `push never on for ${configId}: ${flowsText.replaceAll(secret, '<secret>')}`,
          );
          await page.waitForTimeout(200);
        }
        assert.ok(!flowsText.includes(secret), 'the secret is not in the exported flows');
        // Node-RED names the files after the host unless settings name them.
        const files = readdirSync(temp.path).filter((file) => /^flows.*\.json$/.test(file));
        assert.ok(
          files.some((file) => !file.includes('_cred')),
          files.join(),
        );
        for (const file of files) {
          assert.ok(!readFileSync(join(temp.path, file), 'utf8').includes(secret), `not in ${file}`);
        }

        // Opened again: the same URL (the secret came back as a credential), and no push yet.
        await openNode(page, sceneNode);
        await page.locator(EDIT_CONFIG).click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        await textMatches(page.locator('#node-config-aqara-push-last'), /No push has arrived/);
        assert.equal(await url.inputValue(), shown);
        await page.locator('#node-config-dialog-cancel').click();
        await closeNodeTray(page);
        assert.deepEqual(errors, [], 'no script errors in the editor');
      });
    });
  });

  describe('text from a flow and from the Aqara account', () => {
    /** Markup that runs script if it is ever taken as HTML: it sets a flag the test looks for. */
    const markup = (what: string) => `<img src=x onerror="window.aqaraXss='${what}'">`;
    const SCENE_NAME = markup('scene name');
    const HOME_NAME = markup('home name');
    const CONFIG_NAME = markup('config name');
    const ALIAS = markup('scene alias');
    const XSS_CONFIG = 'e2e0000000000x01';
    const xssSim = new AqaraSimulator({
      positions: [{ positionId: 'real1.xss', positionName: HOME_NAME }],
      scenes: [{ sceneId: 'AL.300000000000000001', name: SCENE_NAME, positionId: 'real1.xss' }],
    });
    let temp: ReturnType<typeof makeTempDir>;
    let red: NodeRedProcess;

    before(async () => {
      const xssUrl = await xssSim.start();
      temp = makeTempDir('aqara-e2e-xss-');
      installSourcePackage(temp.path);
      red = await NodeRedProcess.start({
        userDir: temp.path,
        settings: { ...COMMON_SETTINGS, aqaraConfigDbPath: join(temp.path, 'db', 'tokens.db') },
      });
      // A flow as anyone could hand it over: the config's name and a scene name carry markup, and
      // the same name twice (once with spaces around it), which the dialog warns about on Done.
      const flow = [
        { id: 'xsstab', type: 'tab', label: 'Aqara' },
        {
          id: XSS_CONFIG,
          type: 'aqara-config',
          name: CONFIG_NAME,
          region: 'custom',
          baseUrl: xssUrl,
          appId: DEFAULT_APP.appId,
          keyId: DEFAULT_APP.keyId,
          scenes: { [ALIAS]: 'AL.300000000000000001', [` ${ALIAS} `]: 'AL.300000000000000002' },
          credentials: { appKey: DEFAULT_APP.appKey },
        },
        {
          id: 'xssscene',
          type: 'aqara-scene',
          z: 'xsstab',
          name: '',
          config: XSS_CONFIG,
          scene: '',
          x: 300,
          y: 120,
          wires: [[]],
        },
      ];
      const mark = red.mark();
      const deployed = await fetch(red.urlFor('flows'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify(flow),
      });
      assert.equal(deployed.status, 204, await deployed.text());
      // The admin API answers before the new flows have started.
      await red.waitForLine(/\[info\] Started flows/, { since: mark });
      const pasted = await fetch(red.urlFor('aqara/refresh-token'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: xssSim.issueRefreshToken(), config: XSS_CONFIG }),
      });
      assert.equal(pasted.status, 200, await pasted.text());
    });

    after(async () => {
      await red?.stop();
      await xssSim.stop();
      temp?.remove();
    });

    /** The flag the markup sets when it runs; never set while everything stays text. */
    async function xssFlag(page: Page): Promise<unknown> {
      return page.evaluate(() => (globalThis as unknown as { aqaraXss?: unknown }).aqaraXss);
    }

    it('shows names with markup as text in the picker, the suggestions, errors and warnings; no script runs', async () => {
      await withPage('xss', async (page, errors) => {
        await openEditor(page, red.url);
        await openNode(page, 'xssscene');
        const pickerStatus = page.locator('#node-input-aqara-scene-picker-status');
        await textMatches(pickerStatus, /Scenes found in the Aqara account: 1\./);
        const picker = page.locator('#node-input-aqara-scene-picker');
        assert.equal(await picker.locator('option[value="AL.300000000000000001"]').textContent(), SCENE_NAME);
        assert.equal(await picker.locator('optgroup').getAttribute('label'), HOME_NAME);

        const sceneField = page.locator('#node-input-scene');
        await sceneField.pressSequentially('img');
        const suggestions = page.locator('.red-ui-autoComplete-container li');
        await textMatches(suggestions.last(), /onerror/);
        // The account's scene is offered under the config's name for it; the second alias names a
        // scene the account does not list, so its id stands in for the home.
        assert.deepEqual(await suggestions.allTextContents(), [
          `${ALIAS} \u2014 ${HOME_NAME}`,
          ` ${ALIAS}  \u2014 AL.300000000000000002`,
        ]);
        await page.keyboard.press('Escape');

        // An error text from Aqara, passed on by the route, is shown as text too.
        xssSim.injectFault({
          intent: 'query.position.info',
          fault: { kind: 'code', code: 708, message: markup('aqara error') },
        });
        const refused = await reloadUntil(
          page.locator('#node-input-aqara-scene-reload'),
          pickerStatus,
          /Aqara did not list the scenes/,
        );
        assert.ok(refused.includes(markup('aqara error')), refused);

        // Done in the config dialog warns about the name given twice, naming it as text.
        await page.locator(EDIT_CONFIG).click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        await page.locator('#node-config-dialog-ok').click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
        const warning = page.locator('.red-ui-notification-warning');
        const warned = await textMatches(warning, /used twice/);
        assert.ok(warned.includes(ALIAS), warned);
        assert.equal(await page.locator('.red-ui-notification img, #red-ui-editor-stack img').count(), 0);

        assert.equal(await xssFlag(page), undefined, 'no markup ran as script');
        assert.deepEqual(errors, []);
      }).finally(() => xssSim.clearFaults());
    });
  });

  describe('with admin authentication', () => {
    let temp: ReturnType<typeof makeTempDir>;
    const PASSWORD = 'aqara-e2e-password';
    const CONFIG_ID = 'e2e0000000000c01';
    let red: NodeRedProcess;

    async function adminToken(): Promise<string> {
      const response = await fetch(red.urlFor('auth/token'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          client_id: 'node-red-admin',
          grant_type: 'password',
          scope: '*',
          username: 'admin',
          password: PASSWORD,
        }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { access_token: string }).access_token;
    }

    before(async () => {
      temp = makeTempDir('aqara-e2e-auth-');
      installSourcePackage(temp.path);
      red = await NodeRedProcess.start({
        userDir: temp.path,
        settings: {
          ...COMMON_SETTINGS,
          aqaraConfigDbPath: join(temp.path, 'db', 'tokens.db'),
          adminAuth: {
            type: 'credentials',
            users: [{ username: 'admin', password: bcrypt.hashSync(PASSWORD, 8), permissions: '*' }],
            // Visitors may load the editor and see the flows, but neither node status (so the editor
            // asks them to log in as soon as it connects, as with no anonymous access at all) nor
            // the Aqara config. The process helper needs GET /settings to answer without a login.
            default: { permissions: ['settings.read', 'flows.read', 'nodes.read', 'plugins.read'] },
          },
        },
      });
      const flow = [
        { id: 'e2etab', type: 'tab', label: 'Aqara' },
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
        {
          id: 'e2einject',
          type: 'inject',
          z: 'e2etab',
          name: '',
          props: [{ p: 'payload' }],
          x: 150,
          y: 120,
          wires: [['e2escene']],
        },
        // A raw scene id, typed rather than picked.
        {
          id: 'e2escene',
          type: 'aqara-scene',
          z: 'e2etab',
          name: 'warning',
          config: CONFIG_ID,
          scene: WARNING.sceneId,
          x: 380,
          y: 120,
          wires: [[]],
        },
      ];
      const deployed = await fetch(red.urlFor('flows'), {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${await adminToken()}`,
          'Content-Type': 'application/json',
          'Node-RED-Deployment-Type': 'full',
        },
        body: JSON.stringify(flow),
      });
      assert.equal(deployed.status, 204, await deployed.text());
    });

    after(async () => {
      await red?.stop();
      temp?.remove();
    });

    it('logged in through the login form, the dialogs read and store through the admin routes', async () => {
      await withPage('login', async (page, errors) => {
        await openEditor(page, red.url);
        // The editor's own login form, shown when the anonymous visitor may not see node status.
        await page.locator('#node-dialog-login-username').waitFor({ state: 'visible' });
        await page.locator('#node-dialog-login-username').fill('admin');
        await page.locator('#node-dialog-login-password').fill(PASSWORD);
        await page.locator('#node-dialog-login-submit').click();
        await page.locator('#node-dialog-login-username').waitFor({ state: 'detached' });

        // The scenes route answered (409, no token yet), not the login wall (401).
        await openNode(page, 'e2escene');
        const pickerStatus = page.locator('#node-input-aqara-scene-picker-status');
        await textMatches(pickerStatus, /No refresh token yet/);

        await page.locator(EDIT_CONFIG).click();
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        const status = page.locator('#node-config-aqara-token-status');
        await textMatches(status.locator('[data-row="refresh-updated"]'), /not saved yet/);
        await page.locator('#node-config-aqara-refresh-token').fill(sim.issueRefreshToken());
        await page.locator('#node-config-aqara-save-token').click();
        await textMatches(page.locator('#node-config-aqara-token-result'), /Refresh token saved/);
        await textMatches(status.locator('[data-row="refresh-expires"]'), /about/);
        await page.locator('#node-config-dialog-cancel').click();
        await page.locator('#node-config-dialog-cancel').waitFor({ state: 'detached' });

        // The typed raw id is preselected in the list; nothing needs to change.
        await page.locator('#node-input-aqara-scene-reload').click();
        await textMatches(pickerStatus, /Scenes found/);
        assert.equal(await page.locator('#node-input-aqara-scene-picker').inputValue(), WARNING.sceneId);
        assert.equal(await page.locator('#node-input-scene').inputValue(), WARNING.sceneId);
        await page.locator('#node-dialog-cancel').click();

        const runsBefore = sim.sceneRuns.length;
        await nodeElement(page, 'e2einject').locator('.red-ui-flow-node-button').click();
        await textMatches(statusLabel(page, 'e2escene'), /^ran AL\./);
        await until(() => sim.sceneRuns.length > runsBefore, 'the simulator to record the scene run');
        assert.equal(sim.sceneRuns.at(-1)?.sceneId, WARNING.sceneId);
        assert.deepEqual(errors, []);
      });
    });

    it('without a token (logged out) the aqara routes answer 401', async () => {
      const config = `config=${CONFIG_ID}`;
      const answers = await Promise.all([
        fetch(red.urlFor(`aqara/token-status?${config}`)),
        fetch(red.urlFor(`aqara/scenes?${config}`)),
        fetch(red.urlFor('aqara/refresh-token'), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: 'not-stored', config: CONFIG_ID }),
        }),
      ]);
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [401, 401, 401],
      );
      // A visitor who may read the flows still may not read the Aqara config.
      const flows = await fetch(red.urlFor('flows'));
      assert.equal(flows.status, 200);
    });
  });
});
