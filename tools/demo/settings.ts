import type { NodeRedSettings } from '../../support/node-red-process';
import { REPO_ROOT, TOKEN_DB_FILE } from './demo-paths';

/**
 * AQARA_DEMO_EDITOR_THEME=dark shows the demo in a dark editor (any theme of the dev dependency
 * @node-red-contrib-themes/theme-collection), to see the nodes as users of a dark theme do.
 */
function editorTheme(): { theme?: string } {
  const theme = process.env.AQARA_DEMO_EDITOR_THEME;
  return theme ? { theme } : {};
}

/**
 * The demo's settings.js, rewritten on every start: it is generated, and the repository may have moved
 * since the last run. `nodesDir` points at the repository root, whose package.json has a `node-red`
 * section, so Node-RED loads the freshly built package as a module without an `npm install`.
 */
export const DEMO_SETTINGS: NodeRedSettings = {
  flowFile: 'flows.json',
  // Fixed so flows_cred.json stays readable across runs. It protects nothing but demo credentials
  // for the local simulator; a real installation must use its own secret.
  credentialSecret: 'aqara-demo-only-credential-secret',
  nodesDir: [REPO_ROOT],
  aqaraConfigDbPath: TOKEN_DB_FILE,
  logging: { console: { level: 'info', metrics: false, audit: false } },
  // The demo should not phone home or greet with a tour; it is about the Aqara nodes.
  telemetry: { enabled: false, updateNotification: false },
  editorTheme: { tours: false, ...editorTheme() },
};
