/**
 * Preload for `node-red-dev validate` (audited against node-red-dev 0.1.6) so it can run where the
 * Node-RED flow library's catalogue is not reachable:
 *
 *   node --require tools/validate/offline-catalogue.cjs node_modules/.bin/node-red-dev validate -p <dir>
 *
 * What node-red-dev 0.1.6 fetches, and with what:
 *   - axios   https://catalogue.nodered.org/catalogue.json   P08 (similar names), N01 (unique node types)
 *   - axios   https://registry.npmjs.org/node-red             P06 (Node-RED versions), P07 (Node.js version)
 *   - request <npm registry>/<dependency> (npm-remote-ls)      D02 (known-bad packages in the tree)
 *   - got     <npm registry>/<dependency> (npm-check)          D03 (dependencies up to date)
 *
 * Two things happen here:
 *
 * 1. A transport guard on http/https: every request to a host outside NRD_OFFLINE_ALLOW_HOSTS
 *    (default: registry.npmjs.org; empty = nothing at all) fails at once with ENOTFOUND, before any DNS
 *    look-up or connection. catalogue.nodered.org is never allowed, so the catalogue checks behave the
 *    same everywhere instead of depending on whether this machine happens to reach it.
 *
 * 2. node-red-dev ends each check chain with `.catch(e => cli.error(e))`, so one rejected axios call
 *    aborts the whole run without a scorecard. For the two URLs above only, an axios network failure is
 *    therefore answered with a placeholder body that lets node-red-dev carry on. node-red-dev then
 *    happily scores the placeholder (an empty catalogue makes P08 and N01 "pass"): those results are
 *    meaningless, and the caller must replace them with "not run". The ledger says which hosts failed.
 *
 * Every request, failure and placeholder is appended as one JSON line to NRD_OFFLINE_LEDGER (when set)
 * and announced on stderr, so nothing this file does is silent. tools/validate/run.ts reads the ledger
 * and rewrites the affected checks; run by hand, read the stderr notes.
 *
 * CommonJS on purpose: `--require` loads it synchronously, before node-red-dev requires axios.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a --require preload is CommonJS (see above) */
'use strict';

const diagnostics = require('node:diagnostics_channel');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const Module = require('node:module');

const CATALOGUE_HOST = 'catalogue.nodered.org';
const LEDGER = process.env.NRD_OFFLINE_LEDGER;
const ALLOWED = new Set(
  (process.env.NRD_OFFLINE_ALLOW_HOSTS ?? 'registry.npmjs.org')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '' && host !== CATALOGUE_HOST),
);

// Not a version any package can have, so if node-red-dev prints it the placeholder is obvious.
const PLACEHOLDER_VERSION = '0.0.0-unreachable';
/** The only answers ever made up, each just enough for node-red-dev's code path not to throw. */
const PLACEHOLDERS = [
  {
    url: /^https:\/\/catalogue\.nodered\.org\/catalogue\.json$/,
    checks: 'P08, N01',
    body: () => ({ modules: [] }),
  },
  {
    url: /^https:\/\/registry\.npmjs\.org\/node-red\/?$/,
    checks: 'P06, P07',
    body: () => ({
      'dist-tags': { latest: PLACEHOLDER_VERSION },
      versions: { [PLACEHOLDER_VERSION]: { engines: { node: `>=${PLACEHOLDER_VERSION}` } } },
    }),
  },
];

function record(entry) {
  // Synchronous: node-red-dev ends with process.exit(), which would drop pending asynchronous writes.
  if (LEDGER) fs.appendFileSync(LEDGER, `${JSON.stringify(entry)}\n`);
}

function note(text) {
  process.stderr.write(`[offline-catalogue] ${text}\n`);
}

function hostOf(options) {
  if (typeof options.method === 'string' && options.method.toUpperCase() === 'CONNECT') {
    // A proxy tunnel: the target is in the path ("host:port"), not in host.
    return String(options.path ?? '').split(':')[0];
  }
  if (typeof options.path === 'string' && /^https?:\/\//i.test(options.path)) {
    // A plain-HTTP proxy gets the absolute URL as the path.
    return new URL(options.path).hostname;
  }
  const host = options.hostname ?? options.host ?? 'localhost';
  return String(host)
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1');
}

function isAllowed(host) {
  return ALLOWED.has(host.toLowerCase());
}

/**
 * Stands in for the socket of a blocked request: the request fails the way an unresolvable host does,
 * before any DNS look-up, proxy or TLS. (A `lookup` override would not do: a proxy given as an IP
 * address skips the look-up and would carry the request out.)
 */
function refuseConnection(host) {
  return (_options, callback) => {
    const error = new Error(`getaddrinfo ENOTFOUND ${host} (blocked by the offline-catalogue preload)`);
    error.code = 'ENOTFOUND';
    error.hostname = host;
    callback(error);
    return undefined;
  };
}

/** Normalises http.request's three call shapes to (url | undefined, options, callback). */
function splitArgs(args) {
  let [first, second, third] = args;
  let url;
  if (typeof first === 'string' || first instanceof URL) {
    url = first;
    first = undefined;
  }
  const options = url === undefined ? first : typeof second === 'object' && second !== null ? second : {};
  const callback = url === undefined ? second : typeof second === 'function' ? second : third;
  return { url, options: options ?? {}, callback };
}

function guard(module, scheme) {
  for (const method of ['request', 'get']) {
    const original = module[method];
    module[method] = function guarded(...args) {
      const { url, options, callback } = splitArgs(args);
      const target = url === undefined ? options : { ...urlParts(url), ...options };
      const host = hostOf(target);
      if (isAllowed(host)) return original.apply(this, args);
      const path = String(target.path ?? '/');
      const where = /^https?:\/\//i.test(path) ? path : `${scheme}://${host}${path}`;
      record({ event: 'blocked', host, url: where });
      note(`blocked ${where}: ${host} is not reachable from this run`);
      // Without an agent, http.ClientRequest takes its socket from createConnection: ours fails at once,
      // so the client sees an unreachable host and nothing leaves this machine.
      const blocked = { ...options, agent: undefined, createConnection: refuseConnection(host) };
      return url === undefined
        ? original.call(this, blocked, callback)
        : original.call(this, url, blocked, callback);
    };
  }
}

function urlParts(url) {
  const parsed = url instanceof URL ? url : new URL(url);
  return { hostname: parsed.hostname, path: `${parsed.pathname}${parsed.search}` };
}

guard(http, 'http');
guard(https, 'https');

// fetch() does not go through http.request; node-red-dev does not use it, but nothing else may leak.
if (typeof globalThis.fetch === 'function') {
  const originalFetch = globalThis.fetch;
  globalThis.fetch = function guardedFetch(input, init) {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (isAllowed(url.hostname)) return originalFetch.call(this, input, init);
    record({ event: 'blocked', host: url.hostname, url: url.href });
    note(`blocked ${url.href}: ${url.hostname} is not reachable from this run`);
    return Promise.reject(
      new TypeError('fetch failed', { cause: { code: 'ENOTFOUND', hostname: url.hostname } }),
    );
  };
}

// The allowed hosts can still be down or answer with an error: the ledger must show that too, or a
// check fed by a failed request (npm-remote-ls shrugs off errors, so D02 then "passes") would look real.
// The diagnostics channels observe without adding listeners that could change the clients' behaviour.
// Through a proxy, request.host is the proxy: hostOf finds the real target in the method and path.
const targetOf = (request) => hostOf({ method: request.method, path: request.path, host: request.host });
diagnostics.subscribe('http.client.request.start', ({ request }) => {
  record({ event: 'request', host: targetOf(request), method: request.method, path: request.path });
});
diagnostics.subscribe('http.client.request.error', ({ request, error }) => {
  record({
    event: 'failed',
    host: targetOf(request),
    path: request.path,
    error: String(error && error.message),
  });
});
diagnostics.subscribe('http.client.response.finish', ({ request, response }) => {
  record({ event: 'response', host: targetOf(request), path: request.path, status: response.statusCode });
});

function placeholderFor(error) {
  // An answer from the server (other than a server error) is real: let node-red-dev deal with it.
  const status = error && error.response ? error.response.status : undefined;
  if (status !== undefined && status < 500) return Promise.reject(error);
  const url = String((error && error.config && error.config.url) ?? '');
  const known = PLACEHOLDERS.find((placeholder) => placeholder.url.test(url));
  if (!known) return Promise.reject(error);
  const reason = status === undefined ? String(error.code ?? error.message) : `HTTP ${status}`;
  record({ event: 'placeholder', url, checks: known.checks, reason });
  note(`${url} failed (${reason}): answered with a placeholder so node-red-dev goes on;`);
  note(`  its ${known.checks} results are NOT real and must be read as "not run"`);
  return {
    data: known.body(),
    status: 0,
    statusText: 'offline-catalogue placeholder',
    headers: {},
    config: error.config,
  };
}

// Hook node-red-dev's own axios (0.21, not the project's axios 1.x) the moment node-red-dev loads it.
const patched = new WeakSet();
const originalLoad = Module._load;
Module._load = function loadWithAxiosShim(request, parent, ...rest) {
  const exported = originalLoad.call(this, request, parent, ...rest);
  if (
    request === 'axios' &&
    parent &&
    /[\\/]node-red-dev[\\/]/.test(parent.filename ?? '') &&
    exported &&
    exported.interceptors &&
    !patched.has(exported)
  ) {
    patched.add(exported);
    exported.interceptors.response.use(undefined, placeholderFor);
  }
  return exported;
};
