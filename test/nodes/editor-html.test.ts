import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import {
  API_EDITOR_SETTINGS,
  CONFIG_EDITOR_SETTINGS,
  KEEP_ALIVE_DAYS,
  MIN_POLL_SECONDS,
  POLL_SECONDS,
  RATE_LIMIT,
  REGIONS,
  TOKEN_STATUS_EDITOR_SETTINGS,
  WARN_DAYS,
} from '../../src/runtime/editor-settings';
import { FLOW_NODE_TYPES, NODE_TYPES as TYPES } from '../../src/nodes';
import { lookUp, readCatalog } from './support';

const NODES_DIR = join(__dirname, '../../nodes');

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
  label?: (this: Record<string, unknown>) => string;
  inputs?: number;
  outputs?: number;
}

function html(type: string): string {
  return readFileSync(join(NODES_DIR, `${type}.html`), 'utf8');
}

function englishHelp(type: string): string {
  return readFileSync(join(NODES_DIR, 'locales', 'en-US', `${type}.html`), 'utf8');
}

/** Runs the editor script with a stand-in RED and returns what it registered. */
const EDITOR_SCRIPT = join(__dirname, '../../resources/aqara-editor.js');
const EDITOR_SCRIPT_TAG =
  '<script type="text/javascript" src="resources/@metron/node-red-aqara-cloud/aqara-editor.js"></script>';

/** What Node-RED's editor holds in RED.settings: each node type's exportable settings. */
function editorSettings(): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const exported of [CONFIG_EDITOR_SETTINGS, TOKEN_STATUS_EDITOR_SETTINGS, API_EDITOR_SETTINGS]) {
    for (const [name, setting] of Object.entries(exported)) {
      if (setting.exportable) settings[name] = setting.value;
    }
  }
  return settings;
}

/**
 * Runs the shared editor script, then the node's own, with a stand-in RED holding the runtime's
 * settings, and returns what it registered.
 */
function definitionOf(type: string): NodeDefinition {
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html(type))?.[1];
  assert.ok(script, `${type}.html has an editor script`);
  const registered: Record<string, NodeDefinition> = {};
  const context: Record<string, unknown> = {
    RED: {
      settings: editorSettings(),
      nodes: { registerType: (name: string, def: NodeDefinition) => (registered[name] = def) },
    },
    // Only used inside dialog callbacks; validate functions fall back to `this` when the dialog is closed.
    $: () => ({ length: 0 }),
  };
  context.window = context;
  runInNewContext(readFileSync(EDITOR_SCRIPT, 'utf8'), context);
  // Every node set loads the shared script: a second run must keep the first one's object.
  const shared = context.AqaraEditor;
  runInNewContext(readFileSync(EDITOR_SCRIPT, 'utf8'), context);
  assert.equal(context.AqaraEditor, shared);
  runInNewContext(script, context);
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
      // Before the node's own script, so AqaraEditor is there when registerType runs.
      assert.ok(
        text.startsWith(`${EDITOR_SCRIPT_TAG}\n<script type="text/javascript">`),
        'loads the shared script first',
      );
      const help = new RegExp(`data-help-name="${type}">\\s*<p>[^<]+</p>`).exec(englishHelp(type));
      assert.ok(help, 'help starts with a one-line summary');
      if (FLOW_NODE_TYPES.includes(type)) {
        // aqara-device-in takes no messages: its help has no Inputs section.
        if (type !== 'aqara-device-in')
          assert.match(englishHelp(type), /<h3>Inputs<\/h3>\s*<dl class="message-properties">/);
        assert.match(englishHelp(type), /<h3>Outputs<\/h3>\s*<dl class="message-properties">/);
      }
      assert.match(englishHelp(type), /<h3>Details<\/h3>/);
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
      for (const key of keys) {
        // The region names are looked up by the runtime's list of regions.
        const full = key === 'aqara-config.regions.' ? REGIONS.map((region) => key + region) : [key];
        for (const one of full) assert.ok(lookUp(catalog, one) !== undefined, `${type}: ${one}`);
      }
    });
  }

  it('flow nodes sit in the Aqara category, each with its own icon', () => {
    for (const type of FLOW_NODE_TYPES) {
      const def = definitionOf(type);
      assert.equal(def.category, 'Aqara');
      assert.equal(def.defaults.config.type, 'aqara-config');
      // aqara-device-in starts flows (push or poll); every other flow node acts on a message.
      assert.equal(def.inputs, type === 'aqara-device-in' ? 0 : 1, `${type} inputs`);
      assert.equal(def.outputs, 1);
      assert.equal(def.icon, `${type}.svg`, `${type} icon`);
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
    assert.deepEqual(REGIONS, ['cn', 'usa', 'ger', 'kr', 'ru', 'sg', 'custom']);
    for (const ok of REGIONS) assert.ok(region.call({}, ok), ok);
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
    // The editor's limits are the runtime's: the same rules, handed over through RED.settings.
    assert.deepEqual([KEEP_ALIVE_DAYS.max, RATE_LIMIT.max], [25, 100_000]);
    const days = defaults.keepAliveDays.validate as NonNullable<PropertyDef['validate']>;
    // Empty and missing: config nodes saved before the option existed must not turn invalid.
    for (const ok of [undefined, '', '0', '7', '0.5', '25', 7]) assert.ok(days.call({}, ok), String(ok));
    for (const bad of ['26', '30', '-1', 'soon', '1e1']) assert.ok(!days.call({}, bad), bad);
    const limit = defaults.rateLimit.validate as NonNullable<PropertyDef['validate']>;
    for (const ok of [undefined, '', '0', '300', 1200]) assert.ok(limit.call({}, ok), String(ok));
    for (const bad of ['2.5', '-1', 'many', '100001']) assert.ok(!limit.call({}, bad), bad);
  });

  it('aqara-config validates the poll interval with the runtime rule: 0 (never) or at least the minimum', () => {
    const { defaults } = definitionOf('aqara-config');
    assert.equal(defaults.pollSeconds.value, POLL_SECONDS.fallback);
    assert.deepEqual([MIN_POLL_SECONDS, POLL_SECONDS.max], [10, 86_400]);
    const poll = defaults.pollSeconds.validate as NonNullable<PropertyDef['validate']>;
    for (const ok of [undefined, '', '0', '10', '60', '86400', 30]) assert.ok(poll.call({}, ok), String(ok));
    for (const bad of ['1', '9', '10.5', '-1', '86401', 'often']) assert.ok(!poll.call({}, bad), bad);
  });

  it('aqara-config makes the push secret in the browser, at least 128 bits, and shows it only in the URL', () => {
    const text = html('aqara-config');
    const bytes = /new Uint8Array\((\d+)\);\s*window\.crypto\.getRandomValues\(bytes\)/.exec(text);
    assert.ok(bytes, 'the secret comes from crypto.getRandomValues');
    assert.ok(Number(bytes[1]) * 8 >= 128, `${bytes[1]} bytes`);
    assert.ok(!/Math\.random/.test(text), 'no guessable randomness');
    // A hidden credential input, never a visible field; the copy button sits beside the URL.
    assert.match(text, /<input type="hidden" id="node-config-input-pushSecret" \/>/);
    assert.match(text, /id="node-config-aqara-push-copy"/);
    assert.match(text, /'aqara\/push\/' \+ encodeURIComponent\(node\.id\) \+ '\/'/);
  });

  it('aqara-token-status validates warn days (0 to 30, decimals) with the runtime rule', () => {
    const { defaults } = definitionOf('aqara-token-status');
    assert.equal(defaults.warnDays.value, WARN_DAYS.fallback);
    const days = defaults.warnDays.validate as NonNullable<PropertyDef['validate']>;
    for (const ok of [undefined, '', '0', '7', '2.5', '30', 7]) assert.ok(days.call({}, ok), String(ok));
    for (const bad of ['31', '-1', 'soon', '1e1']) assert.ok(!days.call({}, bad), bad);
  });

  it("aqara-api refuses, in the dialog already, an intent not of Aqara's shape and the token intents", () => {
    const intent = definitionOf('aqara-api').defaults.intent.validate as NonNullable<PropertyDef['validate']>;
    for (const ok of ['', undefined, 'query.ota.firmware', 'config.scene.run', 'spec.config.trait.subscribe'])
      assert.ok(intent.call({}, ok), String(ok));
    for (const bad of [
      'query',
      'query.ota firmware',
      'query..x',
      'config.auth.refreshToken',
      'Config.Auth.getToken',
    ])
      assert.ok(!intent.call({}, bad), bad);
  });

  it('no dialog builds HTML from values: text goes in through .text(), .val() or attributes', () => {
    for (const file of [...TYPES.map((type) => `${type}.html`), EDITOR_SCRIPT]) {
      const text = readFileSync(file.endsWith('.html') ? join(NODES_DIR, file) : file, 'utf8');
      assert.doesNotMatch(text, /\.html\(/, `${file}: .html()`);
      assert.doesNotMatch(
        text,
        /\.(?:append|prepend|before|after|replaceWith)\(\s*['"`]/,
        `${file}: markup string`,
      );
      assert.doesNotMatch(text, /\$\(\s*['"`]<[^'"`]*['"`]\s*\+/, `${file}: element built from a string`);
      // RED.notify sets a string as HTML: only the shared script calls it, with a text element.
      if (file.endsWith('.html')) assert.doesNotMatch(text, /RED\.notify\(/, `${file}: RED.notify`);
    }
    assert.match(readFileSync(EDITOR_SCRIPT, 'utf8'), /RED\.notify\(\$\('<p\/>'\)\.text\(/);
  });

  it("the pickers' reload buttons ask the routes to bypass their listing cache", () => {
    // Without refresh=1 the route answers from its cache (10 minutes), and reload would change nothing.
    const scene = html('aqara-scene');
    assert.match(scene, /data: fromAqara \? \{ config: configId, refresh: 1 \} : \{ config: configId \}/);
    assert.match(scene, /reload'\)\.on\('click'[\s\S]{0,80}loadAccountScenes\(true, true\)/);
    const shared = readFileSync(EDITOR_SCRIPT, 'utf8');
    assert.match(shared, /data: refresh \? \{ config: id, refresh: 1 \} : \{ config: id \}/);
    assert.match(shared, /-refresh'\)\.on\('click', function \(\) \{\s*load\(true\);/);
  });

  it('an unnamed device node is labelled with the device name its dialog kept, not the raw did', () => {
    for (const type of ['aqara-device-get', 'aqara-device-in', 'aqara-device-out']) {
      const def = definitionOf(type);
      assert.equal(def.defaults.deviceName?.value, '', `${type} keeps the device name`);
      const node = { name: '', device: 'lumi.158d0009d4e5f6', deviceName: 'Wall switch', resource: '' };
      const label = def.label?.call({ ...node, _: (key: string) => key }) ?? '';
      assert.match(label, /^Wall switch/, type);
      assert.doesNotMatch(label, /lumi\./, type);
    }
  });

  it("every node type has an icon in Node-RED's palette style: a white glyph on a 40x60 SVG", () => {
    // aqara-history's is there before its node type lands.
    const coming = ['aqara-history'];
    for (const type of [...new Set([...TYPES, ...coming])]) {
      const file = join(NODES_DIR, 'icons', `${type}.svg`);
      assert.ok(existsSync(file), `${type}.svg`);
      const svg = readFileSync(file, 'utf8');
      assert.match(svg, /^<svg [^>]*viewBox="0 0 40 60"[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/, type);
      // White only: the node's own colour is the background, in the light and the dark editor theme alike.
      const colours = [...svg.matchAll(/(?:fill|stroke)="([^"]+)"/g)].map((match) => match[1]);
      assert.ok(colours.length > 0, type);
      for (const colour of colours) assert.ok(['#fff', 'none'].includes(colour), `${type}: ${colour}`);
    }
  });
});
