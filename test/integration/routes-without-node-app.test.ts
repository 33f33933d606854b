import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultDevices, SWITCH_DID, TV_REMOTE_DID } from '../../simulator/devices';
import { AqaraSimulator, DEFAULT_APP } from '../../simulator/server';
import { configFlowNode } from '../../support/flow-nodes';
import { startNodeRed, type NodeRedSession } from '../../support/node-red';
import { REPO_ROOT } from '../../support/repo';

/**
 * Where Node-RED is embedded in an application that gives it no node app (httpNodeRoot: false), the
 * push endpoint has nowhere to go, but every admin route of docs/http-api.md must still be served:
 * routes.ts registers the two apps' routes independently.
 */

const CONFIG_ID = 'c0ffee0000000002';

/** The admin routes docs/http-api.md documents, as `METHOD /path`. */
function documentedAdminRoutes(): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'http-api.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Admin routes'), doc.indexOf('## Push route'));
  return [...new Set([...section.matchAll(/`(GET|POST) (\/aqara\/[a-z-]+)/g)].map((m) => `${m[1]} ${m[2]}`))];
}

describe('with httpNodeRoot: false', () => {
  const sim = new AqaraSimulator();
  let session: NodeRedSession;
  const model = defaultDevices('home').find((device) => device.did === SWITCH_DID)?.model ?? '';

  before(async () => {
    const baseUrl = await sim.start();
    session = await startNodeRed({
      install: 'source',
      settings: { httpNodeRoot: false, credentialSecret: 'a-test-credential-secret' },
    });
    await session.red.deploy([configFlowNode(CONFIG_ID, { baseUrl, ...DEFAULT_APP, name: 'home' })]);
  });

  after(async () => {
    await session?.stop();
    await sim.stop();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const response = await fetch(session.red.urlFor(path.replace(/^\//, '')), {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      assert.fail(`${method} ${path}: not JSON (HTTP ${response.status}): ${text.slice(0, 200)}`);
    }
    return { status: response.status, json };
  }

  it('serves every admin route of docs/http-api.md, each with its own answer', async () => {
    const routes = documentedAdminRoutes();
    assert.deepEqual(routes.sort(), [
      'GET /aqara/automations',
      'GET /aqara/devices',
      'GET /aqara/ir-keys',
      'GET /aqara/push-status',
      'GET /aqara/quota',
      'GET /aqara/resources',
      'GET /aqara/scenes',
      'GET /aqara/token-status',
      'POST /aqara/refresh-token',
    ]);
    // The token first, so the listings can be fetched from the simulator.
    const stored = await call('POST', '/aqara/refresh-token', { refresh_token: sim.issueRefreshToken() });
    assert.equal(stored.status, 200, JSON.stringify(stored.json));
    const expected: Record<string, (json: Record<string, unknown>) => boolean> = {
      'GET /aqara/token-status': (json) => json.configured === true,
      'GET /aqara/scenes': (json) => Array.isArray(json.scenes),
      'GET /aqara/devices': (json) => Array.isArray(json.devices) && json.devices.length > 0,
      'GET /aqara/resources': (json) => Array.isArray(json.resources) && json.resources.length > 0,
      'GET /aqara/quota': (json) => typeof json.guarded === 'boolean',
      'GET /aqara/push-status': (json) => json.push === false,
      'GET /aqara/ir-keys': (json) => json.type === 1 && Array.isArray(json.keys) && json.keys.length > 0,
      'GET /aqara/automations': (json) => Array.isArray(json.automations) && json.automations.length > 0,
    };
    const queries: Record<string, string> = {
      'GET /aqara/resources': `?model=${encodeURIComponent(model)}`,
      'GET /aqara/ir-keys': `?device=${encodeURIComponent(TV_REMOTE_DID)}`,
    };
    for (const route of routes.filter((candidate) => candidate.startsWith('GET'))) {
      const path = route.slice(4) + (queries[route] ?? '');
      const answer = await call('GET', path);
      assert.equal(answer.status, 200, `${route}: ${JSON.stringify(answer.json)}`);
      assert.ok(
        expected[route](answer.json as Record<string, unknown>),
        `${route}: ${JSON.stringify(answer.json)}`,
      );
    }
  });

  it('has no push endpoint: Node-RED has no node app to serve it from', async () => {
    const response = await fetch(session.red.urlFor(`aqara/push/${CONFIG_ID}/${'Q'.repeat(43)}`), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    await response.text();
    assert.equal(response.status, 404);
  });
});
