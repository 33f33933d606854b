import { errorName } from './admin-replies';
import { jsonBodyErrors, refuseCrossOrigin } from './request-guards';
import { claimApp } from '../app-mark';
import type { AdminApp, AdminRequest, AdminResponse, NodeAPI } from '../node-red-api';

/** Node-RED's admin permissions (adminAuth): reading a config's state, or changing it. */
type Permission = 'aqara-config.read' | 'aqara-config.write';

export interface AdminRoute {
  method: 'get' | 'post';
  path: string;
  permission: Permission;
  /** Answers every failure itself (JSON, 4xx/5xx); a rejection only means the connection broke. */
  handle: (RED: NodeAPI, req: AdminRequest, res: AdminResponse) => Promise<void>;
}

/**
 * Puts the routes on Node-RED's admin app (RED.httpAdmin), once per app: the cross-origin guard
 * before them, each behind its permission, and JSON answers for bodies the parser refused after them.
 */
export function mountAdminRoutes(RED: NodeAPI, routes: readonly AdminRoute[]): void {
  const app = RED.httpAdmin as AdminApp | undefined;
  // Node-RED without an admin API (httpAdminRoot: false) has nothing to add routes to.
  if (!claimApp(app)) return;
  // Before every /aqara route of the admin app, including ones added later, and before the login check.
  app.use('/aqara', refuseCrossOrigin);
  for (const route of routes) {
    app[route.method](route.path, RED.auth.needsPermission(route.permission), (req, res) => {
      // An unhandled rejection would stop Node-RED.
      route.handle(RED, req, res).catch((error: unknown) => {
        RED.log.error(RED._('aqara-config.log.route-unexpected', { type: errorName(error) }));
      });
    });
  }
  app.use('/aqara', jsonBodyErrors);
  // In Node-RED, RED.httpAdmin is the runtime's app mounted inside the editor API's app, and the body
  // parser runs in that outer one: its errors never enter RED.httpAdmin. Express records the outer app
  // as `parent`, so the handler goes there too (after everything Node-RED put there, and for /aqara only).
  if (app.parent) app.parent.use('/aqara', jsonBodyErrors);
}
