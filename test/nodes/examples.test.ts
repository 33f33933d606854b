import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { closeAllConfigRuntimes } from '../../src/runtime/config/config-registry';
import { FLOW_NODE_TYPES, NODE_TYPES } from '../../src/nodes';
import { type FlowNode, helper, lastStatus, NODES } from './support';

const EXAMPLES = join(__dirname, '../../examples');

/** Core node modules the examples may use: no third-party node may appear in them. */
const CORE: Record<string, string> = {
  inject: '@node-red/nodes/core/common/20-inject.js',
  debug: '@node-red/nodes/core/common/21-debug.js',
  comment: '@node-red/nodes/core/common/90-comment.js',
  catch: '@node-red/nodes/core/common/25-catch.js',
  'link in': '@node-red/nodes/core/common/60-link.js',
  'link out': '@node-red/nodes/core/common/60-link.js',
  switch: '@node-red/nodes/core/function/10-switch.js',
  change: '@node-red/nodes/core/function/15-change.js',
  template: '@node-red/nodes/core/function/80-template.js',
};

function examples(): Array<[string, FlowNode[]]> {
  return readdirSync(EXAMPLES)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => [file, JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as FlowNode[]]);
}

describe('examples', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'aqara-examples-'));
    helper.settings({ aqaraConfigDbPath: join(dir, 'tokens.db') });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await helper.unload();
    await closeAllConfigRuntimes();
  });

  it('are the twelve documented flows', () => {
    assert.deepEqual(
      examples().map(([file]) => file),
      [
        'api-firmware-versions.json',
        'automation-holiday-mode.json',
        'device-switch-toggle.json',
        'device-temperature-timer.json',
        'device-wall-switch-all-off.json',
        'door-opens-light.json',
        'ir-ac-cool-when-hot.json',
        'ir-tv-off-at-bedtime.json',
        'run-scene-from-inject.json',
        'token-expiry-notification.json',
        'token-status-check.json',
        'tv-session.json',
      ],
    );
  });

  it('are arrays of nodes with unique ids, resolvable wires and config references, and a comment', () => {
    for (const [file, flow] of examples()) {
      assert.ok(Array.isArray(flow), file);
      const ids = new Set(flow.map((n) => n.id));
      assert.equal(ids.size, flow.length, `${file}: ids are unique`);
      assert.ok(
        flow.some((n) => n.type === 'comment'),
        `${file}: has a comment node`,
      );
      for (const n of flow) {
        assert.ok(
          n.type === 'tab' || (NODE_TYPES as readonly string[]).includes(n.type) || n.type in CORE,
          `${file}: ${n.type} is core or ours`,
        );
        for (const port of (n.wires as string[][] | undefined) ?? []) {
          for (const target of port) assert.ok(ids.has(target), `${file}: ${n.id} wires to ${target}`);
        }
        if (typeof n.config === 'string') {
          assert.equal(flow.find((c) => c.id === n.config)?.type, 'aqara-config', `${file}: ${n.id} config`);
        }
      }
    }
  });

  it('together use every node type of the package', () => {
    const used = new Set(examples().flatMap(([, flow]) => flow.map((n) => n.type)));
    for (const type of NODE_TYPES) assert.ok(used.has(type), type);
  });

  it('ship placeholders, never credentials or tokens', () => {
    for (const [file, flow] of examples()) {
      const text = JSON.stringify(flow);
      assert.ok(!/appKey|credentials|refresh_?token"/i.test(text), file);
      const config = flow.find((n) => n.type === 'aqara-config');
      assert.equal(config?.region, 'cn', file);
      // Empty, not a placeholder value: deployed as it is, every node says which field is missing.
      assert.equal(config?.appId, '', file);
      assert.equal(config?.keyId, '', file);
      const tv = config?.scenes as Record<string, string>;
      assert.deepEqual(Object.keys(tv).sort(), ['tv_pin_entry', 'tv_power_off', 'tv_warning'], file);
    }
  });

  for (const [file, flow] of examples()) {
    it(`${file} deploys in Node-RED and tells the user to fill in the config`, async () => {
      const modules = [...new Set(flow.filter((n) => n.type in CORE).map((n) => CORE[n.type]))];
      const core = await Promise.all(
        modules.map(
          async (module) => ((await import(module)) as { default: (RED: never) => unknown }).default,
        ),
      );
      await helper.load([...NODES, ...core], flow);
      for (const n of flow.filter((n) => (FLOW_NODE_TYPES as readonly string[]).includes(n.type))) {
        // Deployed as imported, every Aqara node says what to fill in first, before anything runs.
        assert.deepEqual(lastStatus(n.id), { fill: 'red', shape: 'ring', text: 'App ID missing' }, n.id);
      }
      // Devices are picked, not placeholder dids that would fail only when a message arrives.
      const picked = ['aqara-device-get', 'aqara-device-out', 'aqara-device-in', 'aqara-ir'];
      for (const n of flow.filter((n) => picked.includes(n.type))) {
        assert.equal(n.device, '', `${file}: ${n.id}`);
        assert.match(String(n.name), /pick your (device|sensor|remote)/, `${file}: ${n.id}`);
      }
    });
  }
});
