import { type AdminRoute, mountAdminRoutes } from './admin/admin-app';
import { getAutomations } from './admin/automation-routes';
import { getIrKeys } from './admin/ir-routes';
import { getDevices, getResources, getScenes } from './admin/listing-routes';
import { getPushStatus, getQuota } from './admin/status-routes';
import { getTokenStatus, postRefreshToken } from './admin/token-routes';
import type { NodeAPI } from './node-red-api';
import { mountPushEndpoint } from './push/push-endpoint';

/**
 * Every HTTP route this package serves, listed here and nowhere else (docs/http-api.md): the admin
 * routes, mounted on Node-RED's admin app (RED.httpAdmin, guarded by Node-RED's admin auth) by
 * admin/admin-app.ts, and Aqara's push endpoint, mounted on Node-RED's node app (RED.httpNode) by
 * push/push-endpoint.ts. Either app may be switched off (httpAdminRoot / httpNodeRoot false); the
 * other's routes are still served.
 */

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
  { method: 'get', path: '/aqara/ir-keys', permission: 'aqara-config.read', handle: getIrKeys },
  { method: 'get', path: '/aqara/automations', permission: 'aqara-config.read', handle: getAutomations },
  { method: 'get', path: '/aqara/quota', permission: 'aqara-config.read', handle: getQuota },
  { method: 'get', path: '/aqara/push-status', permission: 'aqara-config.read', handle: getPushStatus },
];

/**
 * Adds every route, once per app. `RED` is the aqara-config module's, so its RED._ reads the
 * aqara-config catalog: the log lines are there, under `aqara-config.log`.
 */
export function registerRoutes(RED: NodeAPI): void {
  mountAdminRoutes(RED, ADMIN_ROUTES);
  mountPushEndpoint(RED);
}
