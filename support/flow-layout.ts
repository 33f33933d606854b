/**
 * Lays out a flow tab as rows of small stories, so that no two nodes overlap whatever their labels:
 * the demo (tools/demo/flow.ts) is built with it, and the editor test measures what the editor drew.
 *
 * A row is a comment (its story) above lines of nodes. The nodes of a line stand in columns, and a
 * column is as wide as its widest node in any line of the row, so wired nodes line up and a long label
 * pushes the next column to the right instead of under it. Nodes of a column share their left edge. Rows stack downwards, each below the last
 * one's lowest status text.
 */

export interface LaidOutNode {
  id: string;
  type: string;
  x: number;
  y: number;
  [property: string]: unknown;
}

/** A node before layout: everything but its position. Its label is `name` (every demo node has one). */
export interface UnplacedNode {
  id: string;
  type: string;
  name: string;
  [property: string]: unknown;
}

export interface FlowRow {
  /** The row's story: a comment node above it (its `info` says more when opened). */
  comment: UnplacedNode;
  /** Lines of nodes, left to right; `undefined` leaves a column empty (e.g. under a shared node). */
  lines: ReadonlyArray<ReadonlyArray<UnplacedNode | undefined>>;
}

/** Node-RED's node geometry (red/view.js): 100 px at least, height 30, widths in steps of 20. */
const NODE_HEIGHT = 30;
const MIN_NODE_WIDTH = 100;
/** The icon and the padding around the label. */
const LABEL_PADDING = 50;
const INPUT_PORT_EXTRA = 7;

const LEFT = 40;
const TOP = 40;
/** Between columns: room for a wire and for a status text longer than its node. */
const COLUMN_GAP = 60;
/**
 * A line's height: the node, plus its status text below when it has one (the Aqara nodes do): the status
 * starts 3 px under the node and is 12 px high.
 */
const LINE = 40;
const STATUS_ROOM = 10;
const ROW_GAP = 20;

/** Types without an input port. */
const NO_INPUT = new Set(['inject', 'catch', 'comment', 'status', 'link in', 'aqara-device-in']);

/**
 * A label's width in Node-RED's 14 px sans-serif, rounded up on purpose: the fonts differ between
 * machines (Helvetica, Arial, DejaVu Sans), and a node drawn narrower than planned only leaves a gap.
 */
export function labelWidth(label: string): number {
  let width = 0;
  for (const char of label) {
    if (/[ilIjtf.,:;'|!()[\]]/.test(char)) width += 5;
    else if (/[mwMW@%]/.test(char)) width += 14;
    else if (/[A-Z0-9]/.test(char)) width += 10.5;
    else if (char === ' ') width += 5;
    // CJK and other wide scripts.
    else if (char.charCodeAt(0) > 0x2e80) width += 15;
    else width += 9;
  }
  return Math.ceil(width);
}

/** The node's width as Node-RED computes it from its label. */
export function nodeWidth(node: Pick<UnplacedNode, 'type' | 'name'>): number {
  const ports = NO_INPUT.has(node.type) ? 0 : INPUT_PORT_EXTRA;
  return Math.max(MIN_NODE_WIDTH, 20 * Math.ceil((labelWidth(node.name) + LABEL_PADDING + ports) / 20));
}

function hasStatus(node: UnplacedNode | undefined): boolean {
  return node !== undefined && node.type.startsWith('aqara-');
}

/** Places every row's comment and nodes; `top` is where the first row starts. */
export function layOutRows(rows: readonly FlowRow[], top = TOP): LaidOutNode[] {
  const placed: LaidOutNode[] = [];
  let y = top;
  for (const row of rows) {
    placed.push({ ...row.comment, x: LEFT + nodeWidth(row.comment) / 2, y: y + NODE_HEIGHT / 2 });
    y += LINE;
    const columns = Math.max(0, ...row.lines.map((line) => line.length));
    const widths = Array.from({ length: columns }, (_, column) =>
      Math.max(0, ...row.lines.map((line) => (line[column] ? nodeWidth(line[column]) : 0))),
    );
    const lefts: number[] = [];
    let left = LEFT;
    for (const width of widths) {
      lefts.push(left);
      left += width + COLUMN_GAP;
    }
    for (const line of row.lines) {
      line.forEach((node, column) => {
        // Left edges aligned: the column's width leaves room for its widest node.
        if (node) placed.push({ ...node, x: lefts[column] + nodeWidth(node) / 2, y: y + NODE_HEIGHT / 2 });
      });
      y += LINE + (line.some(hasStatus) ? STATUS_ROOM : 0);
    }
    y += ROW_GAP;
  }
  return placed;
}
