/**
 * Preload (`node --require`) for `node-red-dev validate` 0.1.6, which tools/validate/run-validate.ts runs.
 *
 * node-red-dev fetches the flow library catalogue (P08, N01) and Node-RED's packument (P06, P07) with
 * axios, and one rejected call aborts its whole run without a scorecard. The catalogue cannot be reached
 * from here, so it is never asked: node-red-dev's axios answers it with an empty catalogue. With
 * VALIDATE_OFFLINE=1 the packument gets a placeholder too and every socket is refused, so nothing leaves
 * this machine (D02 and D03 then fail to reach the registry). Every placeholder is announced on stderr;
 * run.ts reports the checks fed by one as "not run" whatever node-red-dev made of it.
 *
 * npm-remote-ls (D02) carries on after a failed request as if the package had no dependencies, so every
 * failed request or error answer is printed as a `request failed:` line for run.ts to see.
 *
 * CommonJS on purpose: `--require` loads it synchronously, before node-red-dev requires axios.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a --require preload is CommonJS (see above) */
'use strict';

const diagnostics = require('node:diagnostics_channel');
const Module = require('node:module');
const net = require('node:net');

const OFFLINE = process.env.VALIDATE_OFFLINE === '1';
// Not a version any package can have, so a placeholder is obvious wherever node-red-dev prints it.
const NONE = '0.0.0-unreachable';
const PLACEHOLDERS = new Map([['https://catalogue.nodered.org/catalogue.json', { modules: [] }]]);
if (OFFLINE) {
  PLACEHOLDERS.set('https://registry.npmjs.org/node-red', {
    'dist-tags': { latest: NONE },
    versions: { [NONE]: { engines: { node: `>=${NONE}` } } },
  });
  // Below every client (http, https, proxies, fetch): the connection fails before any DNS look-up.
  net.Socket.prototype.connect = function refuse() {
    const error = Object.assign(new Error('offline: no connection leaves this machine'), {
      code: 'ENOTFOUND',
    });
    setImmediate(() => this.destroy(error));
    return this;
  };
}

const report = (request, why) =>
  process.stderr.write(`request failed: ${request.host}${request.path} (${why})\n`);
diagnostics.subscribe('http.client.request.error', ({ request, error }) =>
  report(request, error.code ?? error.message),
);
diagnostics.subscribe('http.client.response.finish', ({ request, response }) => {
  if (response.statusCode >= 400) report(request, `HTTP ${response.statusCode}`);
});

// node-red-dev calls only axios.get; its own axios (0.21) is wrapped, nobody else's.
const originalLoad = Module._load;
Module._load = function load(request, parent, ...rest) {
  const axios = originalLoad.call(this, request, parent, ...rest);
  if (request !== 'axios' || !/[\\/]node-red-dev[\\/]src[\\/]/.test(parent?.filename ?? '')) return axios;
  return {
    get(url, ...args) {
      if (!PLACEHOLDERS.has(url)) return axios.get(url, ...args);
      process.stderr.write(
        `placeholder: ${url} is not fetched; what node-red-dev scores from it is not real\n`,
      );
      return Promise.resolve({ data: PLACEHOLDERS.get(url), status: 200, headers: {} });
    },
  };
};
