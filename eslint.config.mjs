import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import html from 'eslint-plugin-html';

/**
 * The layout's rules (docs/architecture.md), checked here so that breaking one fails `npm run lint`:
 * imports only go down, src/nodes -> src/runtime -> src/lib; test/ and tools/ share only support/;
 * the simulator shares no code with the client; each Node-RED app is touched in one place.
 */
const NODE_RED = { regex: '^(node-red|@node-red/)', message: 'src/lib knows nothing of Node-RED.' };
const LIB_RULES = [
  NODE_RED,
  { regex: '(^|/)(runtime|nodes)(/|$)', message: 'src/lib imports nothing of src/runtime or src/nodes.' },
];
const RUNTIME_RULES = [
  {
    // The one exception: src/nodes/index.ts, the list of node types, which imports nothing.
    regex: '(^|/)nodes/(?!index$)[^/]+$',
    message: 'src/runtime imports no node type: only the list of node types (src/nodes/index.ts).',
  },
];
const APP_RULES = {
  httpAdmin: {
    selector: "MemberExpression[property.name='httpAdmin']",
    message: 'RED.httpAdmin is used only under src/runtime/admin (routes listed in src/runtime/routes.ts).',
  },
  httpNode: {
    selector: "MemberExpression[property.name='httpNode']",
    message: 'RED.httpNode is used only by the push endpoint (src/runtime/push/push-endpoint.ts).',
  },
};
const ADMIN_DIR = 'src/runtime/admin/**';
const PUSH_ENDPOINT = 'src/runtime/push/push-endpoint.ts';

export default tseslint.config(
  { ignores: ['dist/', 'dist.next/', 'node_modules/', '.demo/', '.tmp/', 'docs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/lib/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: LIB_RULES }] },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: RUNTIME_RULES }] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: [ADMIN_DIR, PUSH_ENDPOINT],
    rules: { 'no-restricted-syntax': ['error', APP_RULES.httpAdmin, APP_RULES.httpNode] },
  },
  { files: [ADMIN_DIR], rules: { 'no-restricted-syntax': ['error', APP_RULES.httpNode] } },
  { files: [PUSH_ENDPOINT], rules: { 'no-restricted-syntax': ['error', APP_RULES.httpAdmin] } },
  {
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)tools/', message: 'test/ and tools/ share only support/.' }] },
      ],
    },
  },
  {
    files: ['tools/**/*.ts', 'support/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)test/', message: 'test/ and tools/ share only support/.' }] },
      ],
    },
  },
  {
    // A signing bug copied to both sides would pass every test.
    files: ['simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)src/', message: 'The simulator shares no code with the client.' }] },
      ],
    },
  },
  {
    // Node-RED loads these entry files with require(): plain CommonJS.
    files: ['nodes/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The editor's side: the dialogs in nodes/*.html and the script they share.
    files: ['nodes/**/*.html', 'resources/**/*.js'],
    plugins: { html },
    languageOptions: {
      sourceType: 'script',
      globals: { ...globals.browser, RED: 'readonly', $: 'readonly', AqaraEditor: 'readonly' },
    },
  },
);
