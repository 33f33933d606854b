import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import html from 'eslint-plugin-html';

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
    files: ['src/nodes/**/*.html', 'src/nodes/**/*.js'],
    plugins: { html },
    languageOptions: { globals: { ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
  {
    files: ['nodes/**/*.html'],
    plugins: { html },
    languageOptions: { globals: { ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
  // The one-line entries Node-RED loads are CommonJS by nature.
  {
    files: ['nodes/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
