import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AC_MODES } from '../../src/lib/aqara/intents/ac-state';
import { REGIONS } from '../../src/runtime/editor-settings';
import { FLOW_NODE_TYPES, NODE_TYPES as TYPES } from '../../src/nodes';
import {
  catchToCaught,
  configNode,
  credentials,
  type Harness,
  helper,
  lastStatus,
  nodeModule,
  nextMessage,
  node,
  onTab,
  startHarness,
  statusBecomes,
  stopHarness,
  TAB,
} from './support';

/**
 * The message catalogs and help of both shipped languages: en-US (the default, and what Node-RED
 * falls back to) and zh-CN (Aqara's home market). Node-RED shows a missing key as the bare key and
 * missing help as nothing at all, so both languages must stay complete and in step.
 */

/** The node layer: the node types and the Node-RED-aware runtime they share. */
const NODE_LAYER_DIRS = [join(__dirname, '../../src/nodes'), join(__dirname, '../../src/runtime')];
const NODES_DIR = join(__dirname, '../../nodes');
const EDITOR_SCRIPT = join(__dirname, '../../resources/aqara-editor.js');
const LOCALES_DIR = join(NODES_DIR, 'locales');
const LANGUAGES = ['en-US', 'zh-CN'] as const;
/** Node-RED names a node set's catalog namespace `<module>/<set>` (registry loader: node.id). */
const PACKAGE = '@metron/node-red-aqara-cloud';
const NO_TOKEN = 'no refresh token configured - please add one using the admin API';
/** Texts that read the same in Chinese: the console's field names, "Aqara", example values. */
const KEPT_AS_IS = new Set([
  'aqara-config.labelWithAppId',
  'aqara-config.label.keyId',
  'aqara-config.label.appKey',
  'aqara-config.placeholder.baseUrl',
  'aqara-config.placeholder.keyId',
  'aqara-scene.label.config',
  'aqara-token-status.label.config',
  'aqara-device-get.label.config',
  'aqara-device-out.label.config',
  'aqara-device-in.label.config',
  'aqara-ir.label.config',
  'aqara-automation.label.config',
  'aqara-api.label.config',
  'aqara-api.label.intent',
]);

type Catalog = { [key: string]: string | Catalog };

function readCatalog(lang: string, type: string): Catalog {
  return JSON.parse(readFileSync(join(LOCALES_DIR, lang, `${type}.json`), 'utf8')) as Catalog;
}

/** Every leaf as `a.b.c` -> value; a leaf that is not a string is reported as such. */
function flatten(catalog: Catalog, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(catalog)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [inner, leaf] of flatten(value, `${prefix}${key}.`)) out.set(inner, leaf);
    } else {
      out.set(`${prefix}${key}`, value);
    }
  }
  return out;
}

/** The `__name__` placeholders of a text, sorted: i18next fills exactly these. */
function placeholders(text: string): string[] {
  return [...text.matchAll(/__(\w+?)__/g)].map((match) => match[1]).sort();
}

/** The node layer's TypeScript by base name (base names are unique: the layout test checks it). */
const TS_PATHS = new Map(
  NODE_LAYER_DIRS.flatMap((dir) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => [basename(file), join(dir, file)] as const),
  ),
);

/** A file of the node layer: TypeScript from src/nodes and src/runtime, the editor's .html from nodes/. */
function source(file: string): string {
  if (file === 'aqara-editor.js') return readFileSync(EDITOR_SCRIPT, 'utf8');
  const path = file.endsWith('.ts') ? TS_PATHS.get(file) : join(NODES_DIR, file);
  assert.ok(path, `${file} is not in the node layer`);
  return readFileSync(path, 'utf8');
}

const TS_FILES = [...TS_PATHS.keys()];
const HTML_FILES = readdirSync(NODES_DIR).filter((file) => file.endsWith('.html'));
/** The editor's code: each dialog and the script they share. */
const EDITOR_FILES = [...HTML_FILES, 'aqara-editor.js'];

/**
 * A key's first segment names its catalog: each node file's catalog has its type as the only top-level
 * key, and RED._ in a module only reads that module's catalog.
 */
function catalogHas(lang: string, key: string): boolean {
  const type = key.split('.')[0];
  if (!(TYPES as readonly string[]).includes(type)) return false;
  return typeof flatten(readCatalog(lang, type)).get(key) === 'string';
}

/** The strings of a `return '...'` inside one function of a source file (the dynamic status keys). */
function returnedLiterals(text: string, functionName: string): string[] {
  const start = text.indexOf(`function ${functionName}(`);
  assert.ok(start !== -1, `${functionName} is in the source`);
  const body = text.slice(start, text.indexOf('\n}\n', start));
  return [...body.matchAll(/return '([\w-]+)'/g)].map((match) => match[1]);
}

/** The string literals of an exported union type, e.g. `export type X = 'a' | 'b';`. */
function unionLiterals(text: string, typeName: string): string[] {
  const declaration = new RegExp(`export type ${typeName} =([^;]*);`).exec(text);
  assert.ok(declaration, `${typeName} is declared`);
  return [...declaration[1].matchAll(/'([\w-]+)'/g)].map((match) => match[1]);
}

describe('message catalogs', () => {
  it('ship en-US and zh-CN for every node file, and no other language half-done', () => {
    assert.deepEqual(readdirSync(LOCALES_DIR).sort(), [...LANGUAGES]);
    for (const lang of LANGUAGES) {
      const files = readdirSync(join(LOCALES_DIR, lang)).sort();
      // Each language has a node file's messages and its help (locales/<lang>/<node file>.html).
      const expected = TYPES.flatMap((type) => [`${type}.json`, `${type}.html`]);
      assert.deepEqual(files, expected.sort(), lang);
    }
  });

  for (const type of TYPES) {
    it(`${type}: the same keys in en-US and zh-CN, same placeholders, no empty text`, () => {
      const en = flatten(readCatalog('en-US', type));
      const zh = flatten(readCatalog('zh-CN', type));
      for (const lang of LANGUAGES) assert.deepEqual(Object.keys(readCatalog(lang, type)), [type], lang);
      assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort(), 'key paths');
      assert.ok(en.size > 0);
      for (const [key, english] of en) {
        const chinese = zh.get(key);
        assert.equal(typeof english, 'string', `en-US ${key}`);
        assert.equal(typeof chinese, 'string', `zh-CN ${key}`);
        assert.notEqual((english as string).trim(), '', `en-US ${key} is empty`);
        assert.notEqual((chinese as string).trim(), '', `zh-CN ${key} is empty`);
        assert.deepEqual(placeholders(chinese as string), placeholders(english as string), `${key}`);
      }
    });
  }

  it('zh-CN is really translated: Chinese everywhere except names and examples kept on purpose', () => {
    for (const type of TYPES) {
      const en = flatten(readCatalog('en-US', type));
      for (const [key, text] of flatten(readCatalog('zh-CN', type))) {
        if (KEPT_AS_IS.has(key)) {
          assert.equal(text, en.get(key), `${key} is the same in every language`);
        } else {
          assert.match(text as string, /\p{Script=Han}/u, `zh-CN ${key}: ${String(text)}`);
        }
      }
    }
  });
});

describe('every message key the code uses is in the catalogs', () => {
  /** Literal keys of t('…'), RED._('…') and node._('…'), including calls spread over lines. */
  const CALL = /(?:\bt|\bRED\._|\bnode\._|\bthis\._)\(\s*(['`])([^'`]*)\1/g;

  it('src/nodes and src/runtime: literal keys exist, dynamic ones cover every value they can take', () => {
    const used = new Set<string>();
    for (const file of TS_FILES) {
      const text = source(file);
      for (const match of text.matchAll(CALL)) {
        const key = match[2];
        if (key.includes('${')) continue;
        used.add(key);
      }
      // Any other first argument would hide a key from this check; only the wrappers pass one through.
      for (const match of text.matchAll(/(?:\bt|\bRED\._|\bnode\._)\(\s*([^'`\s])/g)) {
        const rest = text.slice(match.index, match.index + 40);
        assert.match(
          rest,
          /^RED\._\(key, substitutions\)/,
          `${file}: translated key is not a literal: ${rest}`,
        );
      }
    }
    // The two keys built at run time: the status of a failed scene run, and of an unusable config.
    assert.ok(source('aqara-scene.ts').includes('t(`aqara-scene.status.${failureStatusKey(error)}`)'));
    assert.ok(source('node-status.ts').includes('t(`aqara-config.status.${problem}`)'));
    // A failure's status key: the node's own words, then the Aqara failures every node shares (with the
    // node's word for a refused request passed in).
    const shared = returnedLiterals(source('node-status.ts'), 'aqaraFailureKey');
    const failureKeys = (file: string, fn: string, type: string): string[] => {
      const callerKey = /aqaraFailureKey\(error, '([\w-]+)'\)/.exec(source(file));
      assert.ok(callerKey, `${file} passes its word for a refused request`);
      return [...returnedLiterals(source(file), fn), ...shared, callerKey[1]].map(
        (k) => `${type}.status.${k}`,
      );
    };
    assert.ok(source('device-status.ts').includes('t(`${type}.status.${failureKey(error)}`)'));
    assert.ok(source('device-status.ts').includes('t(`${type}.status.${ownKey}`)'));
    assert.ok(source('aqara-ir.ts').includes('t(`aqara-ir.mode.${ac.mode}`)'));
    const dynamic = [
      ...failureKeys('aqara-scene.ts', 'failureStatusKey', 'aqara-scene'),
      ...failureKeys('device-status.ts', 'failureKey', 'aqara-device-get'),
      ...failureKeys('device-status.ts', 'failureKey', 'aqara-device-out'),
      ...failureKeys('device-status.ts', 'failureKey', 'aqara-device-in'),
      // The nodes on the same frame: the device nodes' words, and their own where they have some.
      ...failureKeys('device-status.ts', 'failureKey', 'aqara-api'),
      ...failureKeys('device-status.ts', 'failureKey', 'aqara-ir'),
      ...returnedLiterals(source('aqara-ir.ts'), 'irFailureKey').map((k) => `aqara-ir.status.${k}`),
      ...failureKeys('device-status.ts', 'failureKey', 'aqara-automation'),
      ...returnedLiterals(source('aqara-automation.ts'), 'automationFailureKey').map(
        (k) => `aqara-automation.status.${k}`,
      ),
      ...AC_MODES.map((mode) => `aqara-ir.mode.${mode}`),
      ...unionLiterals(source('config-spec.ts'), 'ConfigProblem').map((k) => `aqara-config.status.${k}`),
    ];
    assert.ok(dynamic.length >= 15, `the source parsers found only ${dynamic.join()}`);
    for (const key of [...used, ...dynamic]) {
      for (const lang of LANGUAGES) assert.ok(catalogHas(lang, key), `${lang} lacks ${key}`);
    }
    assert.ok(used.size > 30, `found ${used.size} keys`);
  });

  it('nodes/*.html and the shared editor script: data-i18n, this._ and t keys exist in both languages', () => {
    // The two families of keys the editor builds at run time: a region's name, a failed request's words.
    const problems = /REQUEST_PROBLEMS = \[([^\]]*)\]/.exec(source('aqara-editor.js'));
    assert.ok(problems, 'the editor script lists its request problems');
    const requestProblems = [...problems[1].matchAll(/'(\w+)'/g)].map((match) => match[1]);
    assert.ok(requestProblems.length >= 5, requestProblems.join());
    const completions: Record<string, readonly string[]> = { 'aqara-config.regions.': REGIONS };
    let requestPrefixes = 0;
    for (const file of EDITOR_FILES) {
      const text = source(file);
      const keys = new Set<string>();
      for (const match of text.matchAll(/data-i18n="(?:\[\w+\])?([\w.-]+)"/g)) keys.add(match[1]);
      for (const match of text.matchAll(CALL)) keys.add(match[2]);
      for (const match of text.matchAll(/requestErrorText\([^)]*'([\w.-]+\.)'\)/g)) {
        requestPrefixes++;
        for (const problem of requestProblems) keys.add(`${match[1]}${problem}`);
      }
      assert.ok(keys.size > 0, file);
      for (const key of keys) {
        assert.ok(!key.includes('${'), `${file}: ${key} is built at run time`);
        // A key that ends in a dot is completed at run time from a list the runtime defines.
        const endings = key.endsWith('.') ? completions[key] : [''];
        assert.ok(endings, `${file}: ${key} is completed from no known list`);
        for (const ending of endings) {
          for (const lang of LANGUAGES) {
            assert.ok(catalogHas(lang, key + ending), `${file}: ${lang} lacks ${key + ending}`);
          }
        }
      }
    }
    // The scene and config dialogs, the shared device pickers (twice: devices and resources), and the
    // key and automation pickers of aqara-ir and aqara-automation.
    assert.equal(requestPrefixes, 6, 'every call to the routes words its failures');
  });

  it('the node layer hands no inline text to users: logs, statuses and errors come from the catalog', () => {
    // Library messages (src/lib) arrive as variables; the admin routes' HTTP texts are the contract and
    // are never passed to these calls.
    const inline = [
      /\bnode\.(?:warn|error|log|debug)\(\s*['"`]/,
      /\bRED\.log\.\w+\(\s*['"`]/,
      /\btext:\s*['"`]/,
      /new Error\(\s*['"`]/,
      /\bRED\.notify\(\s*['"`]/,
    ];
    for (const file of [...TS_FILES, ...EDITOR_FILES]) {
      const text = source(file);
      for (const pattern of inline) assert.doesNotMatch(text, pattern, `${file}: ${pattern}`);
    }
  });
});

/** A node's help in one language: nodes/locales/<lang>/<type>.html, as Node-RED's loader reads it. */
function helpFile(lang: string, type: string): string {
  return readFileSync(join(LOCALES_DIR, lang, `${type}.html`), 'utf8');
}

/** The English help, which Node-RED also serves for any language that has none of its own. */
function mainHelp(type: string): string {
  return helpFile('en-US', type);
}

/** Node-RED's own modules, resolved from node-red as the test helper does: the copy that runs. */
const fromNodeRed = createRequire(require.resolve('node-red'));

interface HelpLoader {
  getNodeHelp(node: { module: string; template: string; help: Record<string, string> }, lang: string): string;
}

describe('help', () => {
  const loader = fromNodeRed('@node-red/registry/lib/loader') as HelpLoader;
  /** A node set as the registry keeps it: its .html holds no help, so every language is a file. */
  const nodeSet = (type: string) => ({
    module: PACKAGE,
    template: join(NODES_DIR, `${type}.html`),
    help: {},
  });

  for (const type of TYPES) {
    it(`${type}: Node-RED serves the English help file for en-US and the Chinese file for zh-CN`, () => {
      assert.ok(!source(`${type}.html`).includes('data-help-name'), 'no help left in the dialog file');
      assert.match(
        mainHelp(type),
        new RegExp(`^<script type="text/html" data-help-name="${type}">\\s*<p>[^<]+</p>`),
        'one help block for this type, opening with a one-line summary',
      );
      assert.equal(loader.getNodeHelp(nodeSet(type), 'en-US'), mainHelp(type));
      assert.equal(loader.getNodeHelp(nodeSet(type), 'zh-CN'), helpFile('zh-CN', type));
      // Another Chinese variant without its own file falls back to the English help, not to nothing.
      assert.equal(loader.getNodeHelp(nodeSet(type), 'zh-TW'), mainHelp(type));
    });

    it(`${type}: the zh-CN help follows the help style guide and documents what the English does`, () => {
      const chinese = readFileSync(join(LOCALES_DIR, 'zh-CN', `${type}.html`), 'utf8');
      const english = mainHelp(type);
      assert.match(
        chinese,
        new RegExp(`^<script type="text/html" data-help-name="${type}">\\s*<p>[^<]+</p>`),
        'one help block for this type, opening with a one-line summary',
      );
      assert.equal(chinese.match(/data-help-name=/g)?.length, 1);
      assert.match(chinese, /\p{Script=Han}/u);
      if (FLOW_NODE_TYPES.includes(type)) {
        // aqara-device-in takes no messages: its help has no Inputs section.
        if (type !== 'aqara-device-in')
          assert.match(chinese, /<h3>输入<\/h3>\s*<dl class="message-properties">/);
        assert.match(chinese, /<h3>输出<\/h3>\s*<dl class="message-properties">/);
      }
      assert.match(chinese, /<h3>详细<\/h3>/);
      // The same properties, in the same sections, as the English help.
      const shape = (help: string) => [...help.matchAll(/<h3>|<dt[ >]|<li>/g)].map((match) => match[0]);
      assert.deepEqual(shape(chinese), shape(english));
    });
  }

  it('the contract error texts stay verbatim in both languages of the aqara-scene help', () => {
    const chinese = readFileSync(join(LOCALES_DIR, 'zh-CN', 'aqara-scene.html'), 'utf8');
    for (const help of [mainHelp('aqara-scene'), chinese]) {
      assert.ok(help.includes(NO_TOKEN));
      assert.ok(help.includes('refresh token has expired - please update it manually'));
    }
  });
});

interface NodeRedI18n {
  init(settings: { lang?: string }): void;
  registerMessageCatalog(namespace: string, dir: string, file: string): Promise<void>;
  _(key: string, substitutions?: Record<string, unknown>): string;
  i: { language: string };
}

/**
 * A runtime set to Chinese (settings.js `lang: "zh-CN"`). The test helper does not start Node-RED's
 * i18n (its RED._ returns the key), so this does what Node-RED's start-up and registry loader do:
 * i18n.init with the runtime settings, one catalog per node file from locales/, and a RED._ per node
 * file that prefixes its namespace. Each test file runs in its own process, so the language set here
 * reaches no other test.
 */
describe('a Node-RED runtime in zh-CN', () => {
  const { i18n } = fromNodeRed('@node-red/util') as { i18n: NodeRedI18n };
  let h: Harness;
  let modules: Array<(RED: never) => unknown> = [];

  before(async () => {
    i18n.init({ lang: 'zh-CN' });
    const load = (module: unknown, type: string) => {
      const namespace = `${PACKAGE}/${type}`;
      const _ = (key: string, substitutions?: Record<string, unknown>) =>
        i18n._(key.includes(':') ? key : `${namespace}:${key}`, substitutions);
      return (RED: object) => (module as (RED: object) => unknown)(Object.assign(Object.create(RED), { _ }));
    };
    await Promise.all(
      TYPES.map((type) => i18n.registerMessageCatalog(`${PACKAGE}/${type}`, LOCALES_DIR, `${type}.json`)),
    );
    modules = TYPES.map((type) => load(nodeModule(type), type));
    assert.equal(i18n.i.language, 'zh-CN');
    h = await startHarness();
  });
  after(async () => {
    await stopHarness(h);
  });

  it('an aqara-scene node without a refresh token says so in Chinese; the contract text stays English', async () => {
    const zh = flatten(readCatalog('zh-CN', 'aqara-config'));
    const flow = [
      TAB,
      configNode(h),
      onTab({ id: 'scene', type: 'aqara-scene', config: 'cfg', scene: 'tv_pin_entry', wires: [] }),
      ...catchToCaught(),
    ];
    await helper.load(modules, flow, credentials());
    const status = await statusBecomes('scene', zh.get('aqara-config.status.no-token') as string);
    assert.deepEqual(status, { fill: 'yellow', shape: 'ring', text: '无令牌' });

    const caught = nextMessage('caught');
    node('scene').receive({ payload: 'x' });
    const message = ((await caught).error as { message: string }).message;
    // The node layer's frame is Chinese; the library's text inside it is the one users search for.
    assert.ok(message.includes('场景 "tv_pin_entry"：'), message);
    assert.ok(message.includes(NO_TOKEN), message);
    assert.equal(lastStatus('scene')?.text, '无令牌');
    assert.equal(h.sim.callCount(), 0);
  });
});
