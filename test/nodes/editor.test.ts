import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { lookUp, readCatalog } from './support';

const NODES_DIR = join(__dirname, '../../src/nodes');
const TYPES = ['aqara-config', 'aqara-scene', 'aqara-token-status'] as const;

interface PropertyDef {
  value: unknown;
  type?: string;
  required?: boolean;
  validate?: (this: Record<string, unknown>, v: unknown) => boolean;
}

interface NodeDefinition {
  category: string;
  defaults: Record<string, PropertyDef>;
  credentials?: Record<string, { type: string }>;
  icon?: string;
  inputs?: number;
  outputs?: number;
}

function html(type: string): string {
  return readFileSync(join(NODES_DIR, `${type}.html`), 'utf8');
}

/** Runs the editor script with a stand-in RED and returns what it registered. */
function definitionOf(type: string): NodeDefinition {
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html(type))?.[1];
  assert.ok(script, `${type}.html has an editor script`);
  const registered: Record<string, NodeDefinition> = {};
  runInNewContext(script, {
    RED: { nodes: { registerType: (name: string, def: NodeDefinition) => (registered[name] = def) } },
    // Only used inside dialog callbacks; validate functions fall back to `this` when the dialog is closed.
    $: () => ({ length: 0 }),
  });
  assert.deepEqual(Object.keys(registered), [type]);
  return registered[type];
}

describe('editor files', () => {
  for (const type of TYPES) {
    it(`${type}.html registers the type literally, with a template and help`, () => {
      const text = html(type);
      assert.ok(
        text.includes(`RED.nodes.registerType('${type}', {`),
        'literal registerType for node-red-dev validate',
      );
      assert.ok(text.includes(`data-template-name="${type}"`));
      const help = new RegExp(`data-help-name="${type}">\\s*<p>[^<]+</p>`).exec(text);
      assert.ok(help, 'help starts with a one-line summary');
      if (type !== 'aqara-config') {
        assert.match(text, /<h3>Inputs<\/h3>\s*<dl class="message-properties">/);
        assert.match(text, /<h3>Outputs<\/h3>\s*<dl class="message-properties">/);
      }
      assert.match(text, /<h3>Details<\/h3>/);
    });

    it(`${type}: every message key the editor uses is in locales/en-US/${type}.json`, () => {
      const text = html(type);
      const catalog = readCatalog(type);
      const keys = new Set<string>();
      for (const match of text.matchAll(/data-i18n="(?:\[\w+\])?([\w.-]+)"/g)) keys.add(match[1]);
      // this._('key') in definition functions, t('key') where the dialog code bound it.
      for (const match of text.matchAll(/(?:this\._|\bt)\('([\w.-]+)'/g)) keys.add(match[1]);
      assert.ok(!/\bnode\._\(/.test(text), 'keys are found through this._ or t');
      assert.ok(keys.size > 0);
      for (const key of keys) assert.ok(lookUp(catalog, key) !== undefined, `${type}: ${key}`);
    });
  }

  it('flow nodes sit in the Aqara category with the package icon', () => {
    for (const type of ['aqara-scene', 'aqara-token-status']) {
      const def = definitionOf(type);
      assert.equal(def.category, 'Aqara');
      assert.equal(def.defaults.config.type, 'aqara-config');
      assert.equal(def.inputs, 1);
      assert.equal(def.outputs, 1);
      assert.ok(def.icon && existsSync(join(NODES_DIR, 'icons', def.icon)), `${type} icon`);
    }
  });

  it('aqara-config keeps the App Key a password credential and no token anywhere in the node', () => {
    const def = definitionOf('aqara-config');
    assert.equal(def.category, 'config');
    assert.deepEqual(Object.keys(def.defaults).sort(), [
      'appId',
      'baseUrl',
      'keepAliveDays',
      'keyId',
      'name',
      'pollSeconds',
      'push',
      'rateLimit',
      'region',
      'scenes',
    ]);
    // Through JSON: objects made in the vm context have that context's prototypes.
    // pushSecret is text by contract: it is part of the push URL the dialog shows.
    assert.deepEqual(JSON.parse(JSON.stringify(def.credentials)), {
      appKey: { type: 'password', required: true },
      pushSecret: { type: 'text' },
    });
    assert.equal(def.defaults.region.value, 'cn');
    const text = html('aqara-config');
    assert.ok(
      !/id="node-config-input-[^"]*token/i.test(text),
      'the refresh token field is not a node property',
    );
    assert.match(text, /url: 'aqara\/refresh-token'/, 'relative URL, so Node-RED adds its admin token');
    assert.match(text, /url: 'aqara\/token-status'/);
    assert.ok(!text.includes("'/aqara/"), 'no absolute admin path');
  });

  it('aqara-config validates region, custom URL and the scene map', () => {
    const { defaults } = definitionOf('aqara-config');
    const region = defaults.region.validate as NonNullable<PropertyDef['validate']>;
    for (const ok of ['cn', 'usa', 'ger', 'kr', 'ru', 'sg', 'custom']) assert.ok(region.call({}, ok), ok);
    assert.ok(!region.call({}, 'mars'));

    const baseUrl = defaults.baseUrl.validate as NonNullable<PropertyDef['validate']>;
    assert.ok(baseUrl.call({ region: 'cn' }, ''), 'ignored unless custom');
    assert.ok(baseUrl.call({ region: 'custom' }, 'http://127.0.0.1:8089'));
    assert.ok(!baseUrl.call({ region: 'custom' }, ''));
    assert.ok(!baseUrl.call({ region: 'custom' }, 'http://user:pw@host'));

    const scenes = defaults.scenes.validate as NonNullable<PropertyDef['validate']>;
    assert.ok(scenes.call({}, { tv_pin_entry: 'AL.1' }));
    assert.ok(scenes.call({}, {}));
    assert.ok(!scenes.call({}, []));
    assert.ok(!scenes.call({}, { a: 1 }));
  });

  it('aqara-config validates keep-alive days (0 to 25, decimals) and the rate limit (whole calls)', () => {
    const { defaults } = definitionOf('aqara-config');
    assert.equal(defaults.keepAliveDays.value, 7);
    assert.equal(defaults.rateLimit.value, 300);
    const days = defaults.keepAliveDays.validate as NonNullable<PropertyDef['validate']>;
    // Empty and missing: config nodes saved before the option existed must not turn invalid.
    for (const ok of [undefined, '', '0', '7', '0.5', '25', 7]) assert.ok(days.call({}, ok), String(ok));
    for (const bad of ['26', '30', '-1', 'soon', '1e1']) assert.ok(!days.call({}, bad), bad);
    const limit = defaults.rateLimit.validate as NonNullable<PropertyDef['validate']>;
    for (const ok of [undefined, '', '0', '300', 1200]) assert.ok(limit.call({}, ok), String(ok));
    for (const bad of ['2.5', '-1', 'many', '100001']) assert.ok(!limit.call({}, bad), bad);
  });

  it('the icon is an SVG', () => {
    const svg = readFileSync(join(NODES_DIR, 'icons', 'aqara.svg'), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });
});
