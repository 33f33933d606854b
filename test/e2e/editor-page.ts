import type { Locator, Page } from 'playwright-core';

/**
 * The Node-RED editor as a user drives it: palette, workspace, edit trays, deploy. Every step waits
 * for what it needs (an element, a text) with a bound, never for a fixed time.
 */

/** Bounds, not waits: generous, since the two cores may be busy with other tests and other work. */
export const STEP_TIMEOUT_MS = 30_000;
/** Loading the editor (several MB of script, every node set, the flows) is the slowest step by far. */
const LOAD_TIMEOUT_MS = 120_000;

/** What page.evaluate sees of the editor's global; the project compiles without the DOM library. */
interface EditorWindow {
  RED: { nodes: { filterNodes(filter: { type: string }): Array<{ id: string }> } };
}

/** A node's SVG group; Node-RED uses the node id as the element id (ids may start with a digit). */
export function nodeElement(page: Page, id: string): Locator {
  return page.locator(`[id="${id}"]`);
}

/** Waits until the element's text matches, and returns it. */
export async function textMatches(
  locator: Locator,
  pattern: RegExp,
  timeoutMs = STEP_TIMEOUT_MS,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = ((await locator.count()) > 0 ? await locator.first().textContent() : null) ?? '';
    if (pattern.test(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`text never matched ${pattern}; last seen: ${JSON.stringify(last)}`);
    await locator.page().waitForTimeout(100);
  }
}

/** Polls a condition outside the page (e.g. the simulator's records) until it holds. */
export async function until(check: () => boolean, what: string, timeoutMs = STEP_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function openEditor(page: Page, url: string): Promise<void> {
  await page.goto(url, { timeout: LOAD_TIMEOUT_MS });
  await waitForWorkspace(page);
}

/** The editor is usable once the palette holds our nodes and the workspace is drawn. */
export async function waitForWorkspace(page: Page): Promise<void> {
  await page
    .locator('.red-ui-palette-node[data-palette-type="aqara-scene"]')
    .waitFor({ state: 'attached', timeout: LOAD_TIMEOUT_MS });
  await page.locator('#red-ui-workspace-chart').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
}

/** Ids of the nodes of a type in the editor's model. */
export async function nodeIds(page: Page, type: string): Promise<string[]> {
  return page.evaluate(
    (wanted) =>
      (globalThis as unknown as EditorWindow).RED.nodes.filterNodes({ type: wanted }).map((node) => node.id),
    type,
  );
}

/** Drags a node from the palette (filtered to it) onto the workspace; returns the new node's id. */
export async function addFromPalette(page: Page, type: string, x: number, y: number): Promise<string> {
  const before = new Set(await nodeIds(page, type));
  const search = page.locator('#red-ui-palette-search input');
  const clear = page.locator('#red-ui-palette-search .red-ui-searchBox-clear');
  await search.pressSequentially(type.replace(/-/g, ' '));
  const entry = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await entry.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  // The palette animates while it filters: grab the entry only once it stays where it is.
  await settled(entry);
  await drag(page, entry, page.locator('#red-ui-workspace-chart'), { x, y });
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const added = (await nodeIds(page, type)).filter((id) => !before.has(id));
    if (added.length === 1) {
      await clear.click();
      return added[0];
    }
    if (Date.now() > deadline)
      throw new Error(`dragging ${type} onto the workspace added ${added.length} nodes`);
    await page.waitForTimeout(100);
  }
}

/** Waits until an element's box is the same in two looks 100 ms apart. */
export async function settled(locator: Locator): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let last = JSON.stringify(await locator.boundingBox());
  for (;;) {
    await locator.page().waitForTimeout(100);
    const now = JSON.stringify(await locator.boundingBox());
    if (now === last && now !== 'null') return;
    if (Date.now() > deadline) throw new Error('an element kept moving');
    last = now;
  }
}

/**
 * A drag in small steps: jQuery UI (palette) and d3 (ports) only start a drag after the pointer has
 * moved a few pixels with the button down, which a single jump does not do.
 */
async function drag(page: Page, from: Locator, to: Locator, at?: { x: number; y: number }): Promise<void> {
  await from.scrollIntoViewIfNeeded();
  const start = await from.boundingBox();
  const target = await to.boundingBox();
  if (!start || !target) throw new Error('drag: an element is not visible');
  await page.mouse.move(start.x + start.width / 2, start.y + start.height / 2);
  await page.mouse.down();
  const end = at
    ? { x: target.x + at.x, y: target.y + at.y }
    : { x: target.x + target.width / 2, y: target.y + target.height / 2 };
  await page.mouse.move(end.x, end.y, { steps: 15 });
  await page.mouse.up();
}

/** Double-clicks a node and waits for its edit tray. */
export async function openNode(page: Page, id: string): Promise<void> {
  await nodeElement(page, id).locator('.red-ui-flow-node').first().dblclick();
  await page.locator('#node-dialog-ok').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
}

/** Closes the flow node's tray with Done. */
export async function closeNodeTray(page: Page): Promise<void> {
  await page.locator('#node-dialog-ok').click();
  await page.locator('#node-dialog-ok').waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
}

/** Drags a wire from one node's output port to another's input port. */
export async function wire(page: Page, fromId: string, toId: string): Promise<void> {
  await drag(
    page,
    nodeElement(page, fromId).locator('.red-ui-flow-port-output').first(),
    nodeElement(page, toId).locator('.red-ui-flow-port-input').first(),
  );
}

/** Deploys and waits until Node-RED confirms: the Deploy button is disabled again. */
export async function deploy(page: Page): Promise<void> {
  const button = page.locator('#red-ui-header-button-deploy');
  await button.click();
  await page.locator('#red-ui-header-button-deploy.disabled').waitFor({ state: 'attached' });
}

/** The status text shown under a node, once it matches. */
export function statusLabel(page: Page, id: string): Locator {
  return nodeElement(page, id).locator('.red-ui-flow-node-status-label');
}

/**
 * Scrolls the workspace back to its top-left corner. Opening an edit tray scrolls it to the node and
 * closing one may scroll it back with an animation, so this waits until it stays there.
 */
export async function scrollWorkspaceHome(page: Page): Promise<void> {
  const chart = page.locator('#red-ui-workspace-chart');
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (let stillHome = 0; stillHome < 3;) {
    const offset = await chart.evaluate((el) => {
      el.scrollTo(0, 0);
      return el.scrollLeft + el.scrollTop;
    });
    stillHome = offset === 0 ? stillHome + 1 : 0;
    if (Date.now() > deadline) throw new Error('the workspace kept scrolling');
    await page.waitForTimeout(100);
  }
}

/**
 * Readies the page for a screenshot: edit trays done sliding, and Node-RED's toasts ("Successfully
 * deployed") hidden, since they would cover what the picture is about. Nothing else is changed.
 */
export async function readyForScreenshot(page: Page): Promise<void> {
  const trays = page.locator('.red-ui-tray');
  if ((await trays.count()) > 0) await settled(trays.last());
  await page.addStyleTag({ content: '#red-ui-notifications { display: none !important; }' });
}

/**
 * Presses a picker's reload button until its status matches. The route grants a reload that bypasses
 * the listing cache at most once a minute per config (src/runtime/admin/listing-cache.ts), so a press soon
 * after another listing is answered from the cache; this keeps pressing until Aqara is asked.
 */
export async function reloadUntil(
  button: Locator,
  status: Locator,
  pattern: RegExp,
  timeoutMs = 90_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await button.click();
    try {
      return await textMatches(status, pattern, 2_000);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}
