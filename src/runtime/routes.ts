import { errorName } from './admin/admin-replies';
import { getDevices, getResources, getScenes } from './admin/listing-routes';
import { jsonBodyErrors, refuseCrossOrigin } from './admin/request-guards';
import { getPushStatus, getQuota } from './admin/status-routes';
import { getTokenStatus, postRefreshToken } from './admin/token-routes';
import type { AdminApp, AdminRequest, AdminResponse, NodeAPI } from './node-red-api';
import { handlePush, PUSH_PATH, type PushHandler } from './push/push-endpoint';

/**
 * Every HTTP route this package serves, registered here and nowhere else (docs/http-api.md):
 * the admin routes on Node-RED's admin app (RED.httpAdmin, guarded by Node-RED's admin auth), and
 * Aqara's push endpoint on Node-RED's node app (RED.httpNode). Either app may be switched off
 * (httpAdminRoot / httpNodeRoot false); the other's routes are still served.
 */

type Permission = 'aqara-config.read' | 'aqara-config.write';
type RouteHandler = (RED: NodeAPI, req: AdminRequest, res: AdminResponse) => Promise<void>;

export interface AdminRoute {
  method: 'get' | 'post';
  path: string;
  permission: Permission;
  handle: RouteHandler;
}

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  {
    method: 'post',
    path: '/aqara/refresh-token',
    permission: 'aqara-config.write',
    handle: postRefreshToken,
  },
  { method: 'get', path: '/aqara/token-status', permission: 'aqara-config.read', handle: getTokenStatus },
  { method: 'get', path: '/aqara/scenes', permission: 'aqara-config.read', handle: getScenes },
  { method: 'get', path: '/aqara/devices', permission: 'aqara-config.read', handle: getDevices },
  { method: 'get', path: '/aqara/resources', permission: 'aqara-config.read', handle: getResources },
  { method: 'get', path: '/aqara/quota', permission: 'aqara-config.read', handle: getQuota },
  { method: 'get', path: '/aqara/push-status', permission: 'aqara-config.read', handle: getPushStatus },
];

/**
 * Marks each app once the routes are on it. A symbol from the global registry, not a module
 * variable, so a second copy of this module (re-required, or installed twice) cannot add them again.
 */
const ROUTES_MARK = Symbol.for('@metron/node-red-aqara-cloud:routes');

/** Marks `app` and says whether it was unmarked, i.e. whether the routes still have to be added. */
function claim(app: object | undefined): boolean {
  if (!app) return false;
  const marked = app as Record<symbol, true | undefined>;
  if (marked[ROUTES_MARK]) return false;
  Object.defineProperty(app, ROUTES_MARK, { value: true });
  return true;
}

/** RED.httpNode as far as the push endpoint uses it: express's app, left out of NodeAPI's hand-written type. */
interface NodeApp {
  post(path: string, handler: PushHandler): void;
}

/**
 * Adds every route, once per app. `RED` is the aqara-config module's, so its RED._ reads the
 * aqara-config catalog: the log lines are there, under `aqara-config.log`.
 */
export function registerRoutes(RED: NodeAPI): void {
  registerAdminRoutes(RED, RED.httpAdmin as AdminApp | undefined);
  const nodeApp = (RED as NodeAPI & { httpNode?: NodeApp }).httpNode;
  // httpNodeRoot set to false turns Node-RED's node web server off: no push endpoint then.
  if (typeof nodeApp?.post === 'function' && claim(nodeApp)) nodeApp.post(PUSH_PATH, handlePush);
}

function registerAdminRoutes(RED: NodeAPI, app: AdminApp | undefined): void {
  // Node-RED without an admin API (httpAdminRoot: false) has nothing to add routes to.
  if (!claim(app) || !app) return;
  // Before every /aqara route of the admin app, including ones added later, and before the login check.
  app.use('/aqara', refuseCrossOrigin);
  for (const route of ADMIN_ROUTES) {
    app[route.method](route.path, RED.auth.needsPermission(route.permission), (req, res) => {
      // Each handler answers every failure itself; this only keeps a broken connection from becoming
      // an unhandled rejection, which would stop Node-RED.
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
