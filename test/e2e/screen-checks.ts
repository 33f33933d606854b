import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { REPO_ROOT } from '../../support/repo';

/**
 * What a person judges an editor by, measured in the page: boxes that overlap, lists that hide their
 * items, text cut off by its box; and a screenshot compared with the committed one in docs/ loosely
 * (where things are, not their pixels).
 */

export interface Box {
  what: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlap(a: Box, b: Box): boolean {
  // A pixel of anti-aliasing is no overlap.
  return (
    a.x + a.width > b.x + 1 && b.x + b.width > a.x + 1 && a.y + a.height > b.y + 1 && b.y + b.height > a.y + 1
  );
}

/** The pairs of boxes that overlap, named, for the assertion message. */
export function overlaps(boxes: readonly Box[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      if (overlap(boxes[i], boxes[j])) found.push(`${boxes[i].what} / ${boxes[j].what}`);
    }
  }
  return found;
}

/** What page.evaluate sees of the editor; the project compiles without the DOM library. */
interface EditorGlobals {
  RED: {
    nodes: {
      filterNodes(filter: { z: string }): Array<{ id: string; type: string }>;
    };
  };
  document: {
    getElementById(id: string): SvgElement | null;
  };
}
interface SvgElement {
  querySelector(selector: string): SvgElement | null;
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
  textContent: string | null;
  style: { display: string };
  getAttribute(name: string): string | null;
}

/**
 * Every node of a tab as the editor drew it: its body, and its status (dot and text) when it shows one.
 * The boxes are the page's, so whatever the fonts of this machine made of the labels is measured.
 */
export async function drawnBoxes(page: Page, tabId: string): Promise<Box[]> {
  return page.evaluate((z) => {
    const editor = globalThis as unknown as EditorGlobals;
    const boxes: Box[] = [];
    for (const node of editor.RED.nodes.filterNodes({ z })) {
      const group = editor.document.getElementById(node.id);
      if (!group) continue;
      const name = `${node.type} ${node.id}`;
      const body = group.querySelector('.red-ui-flow-node');
      if (body) boxes.push({ what: name, ...rect(body) });
      const status = group.querySelector('.red-ui-flow-node-status-group');
      const label = group.querySelector('.red-ui-flow-node-status-label');
      if (status && label && (label.textContent ?? '') !== '' && status.style.display !== 'none') {
        boxes.push({ what: `status of ${name} (${label.textContent ?? ''})`, ...rect(status) });
      }
    }
    return boxes;

    function rect(element: SvgElement): Omit<Box, 'what'> {
      const { x, y, width, height } = element.getBoundingClientRect();
      return { x, y, width, height };
    }
  }, tabId);
}

/** Every node's label fits inside its body (the editor sizes nodes by label; this catches a cut one). */
export async function labelsInside(page: Page, tabId: string): Promise<string[]> {
  return page.evaluate((z) => {
    const editor = globalThis as unknown as EditorGlobals;
    const cut: string[] = [];
    for (const node of editor.RED.nodes.filterNodes({ z })) {
      const group = editor.document.getElementById(node.id);
      const body = group?.querySelector('.red-ui-flow-node')?.getBoundingClientRect();
      const label = group?.querySelector('.red-ui-flow-node-label')?.getBoundingClientRect();
      if (!body || !label || label.width === 0) continue;
      if (label.x < body.x || label.x + label.width > body.x + body.width + 1)
        cut.push(`${node.type} ${node.id}`);
    }
    return cut;
  }, tabId);
}

/**
 * A list shows all it has when the dialog opens: not scrolled, and nothing below its box. For lists of
 * a few items (the demo's), so a list cut short, or opened scrolled past its first item, fails.
 */
export async function listShownWhole(list: Locator): Promise<void> {
  const measure = await list.evaluate((element) => {
    const el = element as unknown as { scrollTop: number; scrollHeight: number; clientHeight: number };
    return { scrollTop: el.scrollTop, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight };
  });
  assert.equal(measure.scrollTop, 0, 'the list opens at its first item');
  assert.ok(
    measure.scrollHeight <= measure.clientHeight + 1,
    `the list shows every item: ${measure.scrollHeight} px of items in ${measure.clientHeight} px`,
  );
}

/** The selected option's text fits in its select (measured in the select's own font, arrow aside). */
export async function selectTextFits(select: Locator): Promise<void> {
  const fit = await select.evaluate((element) => {
    interface SelectLike {
      selectedOptions: Array<{ textContent: string | null }>;
      clientWidth: number;
    }
    interface Canvas {
      getContext(kind: '2d'): { font: string; measureText(text: string): { width: number } };
    }
    const doc = (
      globalThis as unknown as {
        document: { createElement(tag: 'canvas'): Canvas };
        getComputedStyle(e: unknown): {
          font: string;
          paddingLeft: string;
          paddingRight: string;
        };
      }
    ).document;
    const style = (
      globalThis as unknown as { getComputedStyle(e: unknown): { font: string; paddingLeft: string } }
    ).getComputedStyle(element);
    const select = element as unknown as SelectLike;
    const text = select.selectedOptions[0]?.textContent ?? '';
    const context = doc.createElement('canvas').getContext('2d');
    context.font = style.font;
    // The arrow takes about 20 px on the right.
    const room = select.clientWidth - parseFloat(style.paddingLeft) - 20;
    return { text, width: context.measureText(text).width, room };
  });
  assert.ok(
    fit.width <= fit.room,
    `"${fit.text}" (${Math.round(fit.width)} px) fits its select (${Math.round(fit.room)} px)`,
  );
}

/** A screenshot the size of a thumbnail, in grey levels, decoded by the browser (no image library). */
async function thumbnail(
  page: Page,
  png: Buffer,
): Promise<{ width: number; height: number; grey: number[] }> {
  return page.evaluate(
    async (dataUrl) => {
      interface Img {
        src: string;
        naturalWidth: number;
        naturalHeight: number;
        decode(): Promise<void>;
      }
      interface Canvas {
        width: number;
        height: number;
        getContext(kind: '2d'): {
          drawImage(img: Img, x: number, y: number, w: number, h: number): void;
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      }
      const doc = (globalThis as unknown as { document: { createElement(tag: string): unknown } }).document;
      const img = doc.createElement('img') as Img;
      img.src = dataUrl;
      await img.decode();
      const canvas = doc.createElement('canvas') as Canvas;
      canvas.width = 64;
      canvas.height = 48;
      const context = canvas.getContext('2d');
      context.drawImage(img, 0, 0, 64, 48);
      const data = context.getImageData(0, 0, 64, 48).data;
      const grey: number[] = [];
      for (let i = 0; i < data.length; i += 4) grey.push((data[i] + data[i + 1] + data[i + 2]) / 3);
      return { width: img.naturalWidth, height: img.naturalHeight, grey };
    },
    `data:image/png;base64,${png.toString('base64')}`,
  );
}

/** How far the thumbnails may differ on average (grey levels of 255): text and times, not layout. */
const LOOSE_LIMIT = 8;

/**
 * Compares a screenshot with the committed picture of the same name in docs/, as thumbnails: the same
 * size, and on average close. Changed text, a clock or a value pass; a moved dialog, a missing node
 * row or another theme fails. With UPDATE_SCREENSHOTS=1 the screenshot is the committed picture.
 */
export async function looksLikeCommitted(page: Page, png: Buffer, name: string): Promise<void> {
  const committed = join(REPO_ROOT, 'docs', name);
  assert.ok(existsSync(committed), `docs/${name} is committed (UPDATE_SCREENSHOTS=1 writes it)`);
  const blank = await page.context().newPage();
  try {
    const now = await thumbnail(blank, png);
    const before = await thumbnail(blank, readFileSync(committed));
    assert.deepEqual([now.width, now.height], [before.width, before.height], `docs/${name}: size`);
    let sum = 0;
    for (let i = 0; i < now.grey.length; i++) sum += Math.abs(now.grey[i] - before.grey[i]);
    const mean = sum / now.grey.length;
    // In the test's output, so a limit that has become too tight or too loose shows before it fails.
    process.stdout.write(`docs/${name}: differs from the committed picture by ${mean.toFixed(1)}\n`);
    assert.ok(
      mean <= LOOSE_LIMIT,
      `docs/${name}: the picture differs by ${mean.toFixed(1)} (at most ${LOOSE_LIMIT})`,
    );
  } finally {
    await blank.close();
  }
}
