import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, afterEach, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { AqaraSimulator, DEFAULT_SCENES } from '../../simulator/server';
import { AqaraClient } from '../../src/lib/aqara/client';
import { AqaraError } from '../../src/lib/aqara/errors';
import { MAX_SOCKETS_PER_HOST, proxyFor } from '../../src/lib/aqara/transport';
import { makeTempDir } from '../../support/temp-dir';

const SCENE_ID = DEFAULT_SCENES[0].sceneId;
const PROXY_VARIABLES = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'NO_PROXY'].flatMap((name) => [
  name,
  name.toLowerCase(),
]);
const PROXY_USER = 'proxy-user';
const PROXY_PASSWORD = 'proxy-pass-secret';

/** Sets exactly these proxy variables (every other one unset) until restoreEnv(). */
function setProxyEnv(values: Record<string, string>): void {
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, values);
}

const savedEnv = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));
function restoreEnv(): void {
  for (const name of PROXY_VARIABLES) {
    const value = savedEnv[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

interface ProxyOptions {
  /** Answer every CONNECT with this status instead of opening the tunnel. */
  refuseConnect?: number;
  /** Ask for Basic credentials (407 without them). */
  auth?: boolean;
}

/**
 * A real forward proxy on 127.0.0.1: absolute-URI requests are forwarded, CONNECT opens a tunnel.
 * It counts what went through it, so a test can prove a request took it or bypassed it.
 */
class TestProxy {
  forwarded = 0;
  tunnels = 0;
  connections = 0;
  readonly authHeaders: string[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly upstream = new http.Agent({ keepAlive: true });

  constructor(private readonly options: ProxyOptions = {}) {
    this.server = http.createServer((req, res) => this.forward(req, res));
    this.server.on('connection', (socket: net.Socket) => {
      this.connections += 1;
      this.track(socket);
    });
    this.server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
      this.tunnel(req, socket, head),
    );
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.upstream.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private authorized(req: http.IncomingMessage): boolean {
    const header = req.headers['proxy-authorization'];
    if (header !== undefined) this.authHeaders.push(header);
    if (!this.options.auth) return true;
    return header === `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.authorized(req)) {
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="test"', 'Content-Length': '0' });
      res.end();
      return;
    }
    this.forwarded += 1;
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: req.method,
        headers,
        agent: this.upstream,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  private tunnel(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    this.track(socket);
    if (!this.authorized(req)) {
      socket.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n',
      );
      return;
    }
    if (this.options.refuseConnect !== undefined) {
      socket.end(`HTTP/1.1 ${this.options.refuseConnect} Refused\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.tunnels += 1;
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    this.track(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  }
}

async function failure(promise: Promise<unknown>): Promise<AqaraError> {
  try {
    await promise;
  } catch (error: unknown) {
    assert.ok(error instanceof AqaraError, `expected an AqaraError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('choosing a proxy from the environment', () => {
  afterEach(restoreEnv);
  const aqara = new URL('https://open-ger.aqara.com/v3.0/open/api');
  const plain = new URL('http://aqara.example:8080/v3.0/open/api');

  test('HTTPS_PROXY serves https targets, HTTP_PROXY http ones, in either case', () => {
    setProxyEnv({ HTTPS_PROXY: 'http://secure-proxy:3128', http_proxy: 'http://plain-proxy:3128' });
    assert.equal(proxyFor(aqara)?.shown, 'http://secure-proxy:3128');
    assert.equal(proxyFor(plain)?.shown, 'http://plain-proxy:3128');
    setProxyEnv({ https_proxy: 'http://lower:3128' });
    assert.equal(proxyFor(aqara)?.shown, 'http://lower:3128');
    assert.equal(proxyFor(plain), undefined);
    setProxyEnv({});
    assert.equal(proxyFor(aqara), undefined);
  });

  test('NO_PROXY hosts, suffixes, ports and * bypass the proxy', () => {
    for (const noProxy of [
      'open-ger.aqara.com',
      '.aqara.com',
      '*.aqara.com',
      'other, .aqara.com',
      '*',
      'aqara.com:443,.aqara.com:443',
    ]) {
      setProxyEnv({ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: noProxy });
      assert.equal(proxyFor(aqara), undefined, noProxy);
    }
    for (const noProxy of ['open-usa.aqara.com', '.aqara.cn', 'open-ger.aqara.com:8443']) {
      setProxyEnv({ HTTPS_PROXY: 'http://proxy:3128', no_proxy: noProxy });
      assert.equal(proxyFor(aqara)?.shown, 'http://proxy:3128', noProxy);
    }
  });

  test('credentials in the proxy URL are used but never shown; unusable settings are clear errors', () => {
    setProxyEnv({ HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@proxy:3128` });
    const route = proxyFor(aqara);
    assert.equal(route?.shown, 'http://proxy:3128');
    assert.equal(route?.url.password, PROXY_PASSWORD);

    setProxyEnv({ HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@[bad` });
    assert.throws(() => proxyFor(aqara), {
      name: 'AqaraError',
      kind: 'caller',
      message: 'the HTTPS_PROXY setting is not a URL',
    });
    setProxyEnv({ HTTPS_PROXY: `socks5://${PROXY_USER}:${PROXY_PASSWORD}@proxy:1080` });
    assert.throws(() => proxyFor(aqara), {
      name: 'AqaraError',
      kind: 'caller',
      message: 'proxy socks5://proxy:1080 is not supported: only http:// and https:// proxies are',
    });
  });
});

describe('AqaraClient through a real proxy', () => {
  const sim = new AqaraSimulator();
  let baseUrl: string;
  const clients: AqaraClient[] = [];
  const proxies: TestProxy[] = [];

  async function startProxy(options?: ProxyOptions): Promise<{ proxy: TestProxy; url: string }> {
    const proxy = new TestProxy(options);
    proxies.push(proxy);
    return { proxy, url: await proxy.start() };
  }

  function makeClient(base = baseUrl): AqaraClient {
    const client = new AqaraClient({ baseUrl: base, ...sim.apps[0] });
    clients.push(client);
    return client;
  }

  before(async () => {
    baseUrl = await sim.start();
  });
  afterEach(() => {
    restoreEnv();
    for (const client of clients.splice(0)) client.close();
  });
  after(async () => {
    for (const proxy of proxies) await proxy.stop();
    await sim.stop();
  });

  test('HTTP_PROXY: every call goes through the proxy, with its credentials', async () => {
    const { proxy, url } = await startProxy({ auth: true });
    setProxyEnv({ http_proxy: url.replace('//', `//${PROXY_USER}:${PROXY_PASSWORD}@`) });
    const client = makeClient();
    const calls = sim.callCount();
    const grant = await client.refreshToken(sim.issueRefreshToken());
    const run = await client.request('config.scene.run', { sceneId: SCENE_ID }, grant.accessToken);
    assert.equal(run.code, 0);
    assert.equal(sim.callCount() - calls, 2);
    assert.equal(proxy.forwarded, 2, 'both calls went through the proxy');
    assert.equal(proxy.connections, 1, 'on one kept-alive connection');
  });

  test('NO_PROXY bypasses the proxy for the simulator host', async () => {
    const { proxy, url } = await startProxy();
    setProxyEnv({ HTTP_PROXY: url, NO_PROXY: 'localhost,127.0.0.1' });
    const client = makeClient();
    await client.refreshToken(sim.issueRefreshToken());
    assert.equal(proxy.connections, 0);
    assert.equal(proxy.forwarded, 0);
  });

  test('a proxy that is down is named (without its credentials), and nothing reached Aqara', async () => {
    const { proxy, url } = await startProxy();
    await proxy.stop();
    setProxyEnv({ HTTP_PROXY: url.replace('//', `//${PROXY_USER}:${PROXY_PASSWORD}@`) });
    const client = makeClient();
    const calls = sim.callCount();
    const error = await failure(client.refreshToken(sim.issueRefreshToken()));
    assert.equal(
      error.message,
      `cannot reach the proxy at ${url} (ECONNREFUSED) on config.auth.refreshToken`,
    );
    assert.equal(error.kind, 'transient');
    assert.equal(error.answerLost, false);
    assert.equal(sim.callCount(), calls);
    for (const view of [
      error.message,
      error.stack ?? '',
      inspect(error, { depth: 5 }),
      JSON.stringify(error),
    ]) {
      assert.ok(!view.includes(PROXY_PASSWORD), view);
    }
  });

  test('a proxy that asks for credentials is named, and it is not called an Aqara answer', async () => {
    const { url } = await startProxy({ auth: true });
    setProxyEnv({ HTTP_PROXY: url });
    const error = await failure(makeClient().refreshToken(sim.issueRefreshToken()));
    assert.equal(
      error.message,
      `the proxy at ${url} asks for credentials (HTTP 407) on config.auth.refreshToken`,
    );
    assert.equal(error.kind, 'rejected');
    assert.equal(error.answerLost, false);
  });

  test('a refused CONNECT names the proxy and the status; the request never left', async () => {
    const { proxy, url } = await startProxy({ refuseConnect: 403 });
    setProxyEnv({ HTTPS_PROXY: url.replace('//', `//${PROXY_USER}:${PROXY_PASSWORD}@`) });
    // Nothing listens on an https port here: the refusal comes before any TLS.
    const client = makeClient('https://open-ger.aqara.com');
    const error = await failure(client.refreshToken('refresh-token-not-sent'));
    assert.equal(
      error.message,
      `the proxy at ${url} refused to connect to open-ger.aqara.com (HTTP 403) on config.auth.refreshToken`,
    );
    assert.equal(error.kind, 'rejected');
    assert.equal(error.answerLost, false);
    assert.equal(proxy.tunnels, 0);
    assert.equal(proxy.authHeaders.length, 1, 'credentials went to the proxy on CONNECT');
    assert.ok(!inspect(error, { depth: 5 }).includes(PROXY_PASSWORD));
  });

  test(`a burst of 200 calls through the proxy uses at most ${MAX_SOCKETS_PER_HOST} connections`, async () => {
    const { proxy, url } = await startProxy();
    setProxyEnv({ HTTP_PROXY: url });
    const client = makeClient();
    const grant = await client.refreshToken(sim.issueRefreshToken());
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        client.request('query.scene.detail', { sceneId: SCENE_ID }, grant.accessToken),
      ),
    );
    assert.ok(answers.every((answer) => answer.code === 0));
    assert.equal(proxy.forwarded, 201);
    assert.ok(proxy.connections <= MAX_SOCKETS_PER_HOST, `${proxy.connections} connections`);
  });
});

/**
 * HTTPS through CONNECT, end to end: the simulator behind a TLS terminator whose certificate openssl
 * makes at test time, the CLI (the package's other user of AqaraClient) in a child process that
 * trusts it through NODE_EXTRA_CA_CERTS, HTTPS_PROXY pointing at the test proxy.
 */
describe('the CLI over HTTPS through a CONNECT proxy', () => {
  const openssl = hasOpenssl();
  const temp = makeTempDir('aqara-proxy-');
  const sim = new AqaraSimulator();
  let terminator: tls.Server | undefined;
  let proxy: TestProxy | undefined;
  let httpsUrl = '';
  let proxyUrl = '';

  before(async () => {
    if (!openssl) return;
    // DNS:localhost too: https-proxy-agent sets no TLS server name for an IP target, so Node checks
    // the certificate against "localhost".
    const key = join(temp.path, 'key.pem');
    const cert = join(temp.path, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const simUrl = new URL(await sim.start());
    terminator = tls.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (socket) => {
      const upstream = net.connect(Number(simUrl.port), simUrl.hostname);
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => terminator?.listen(0, '127.0.0.1', resolve));
    httpsUrl = `https://127.0.0.1:${(terminator.address() as net.AddressInfo).port}`;
    proxy = new TestProxy({ auth: true });
    proxyUrl = await proxy.start();
  });

  after(async () => {
    await proxy?.stop();
    await new Promise<void>((resolve) => (terminator ? terminator.close(() => resolve()) : resolve()));
    await sim.stop();
    temp.remove();
  });

  test(
    'runs a scene through the tunnel; the proxy sees one CONNECT and never the request',
    { skip: !openssl && 'openssl is not installed' },
    async () => {
      const app = sim.apps[0];
      const configPath = join(temp.path, 'config.json');
      writeFileSync(
        configPath,
        JSON.stringify({
          aqara: {
            app_id: app.appId,
            app_key: app.appKey,
            key_id: app.keyId,
            base_url: httpsUrl,
            scenes: {
              tv_pin_entry: SCENE_ID,
              tv_warning: DEFAULT_SCENES[1].sceneId,
              tv_power_off: DEFAULT_SCENES[2].sceneId,
            },
          },
        }),
      );
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: join(temp.path, 'cert.pem') };
      for (const name of PROXY_VARIABLES) delete env[name];
      env.HTTPS_PROXY = proxyUrl.replace('//', `//${PROXY_USER}:${PROXY_PASSWORD}@`);
      const cli = join(__dirname, '..', '..', 'src', 'cli', 'aqara-test.ts');
      const args = [
        '--import',
        'tsx',
        cli,
        '-config',
        configPath,
        '-action',
        'pin',
        '-db',
        join(temp.path, 'tokens.db'),
        '-refresh-token',
        sim.issueRefreshToken(),
      ];
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
        });
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(sim.sceneRuns.at(-1)?.sceneId, SCENE_ID);
      assert.ok(proxy !== undefined);
      assert.equal(proxy.tunnels, 1, 'refresh and scene run shared one tunnel');
      assert.equal(proxy.forwarded, 0, 'the proxy never saw a request in clear');
      assert.ok(!`${result.stdout}${result.stderr}`.includes(PROXY_PASSWORD));
    },
  );

  test(
    'a certificate this process does not trust is named as such, not taken for a lost answer',
    { skip: !openssl && 'openssl is not installed' },
    async () => {
      setProxyEnv({ HTTPS_PROXY: proxyUrl.replace('//', `//${PROXY_USER}:${PROXY_PASSWORD}@`) });
      const client = new AqaraClient({ baseUrl: httpsUrl, ...sim.apps[0] });
      try {
        const calls = sim.callCount();
        const error = await failure(client.refreshToken(sim.issueRefreshToken()));
        assert.match(
          error.message,
          /^the TLS certificate of 127\.0\.0\.1:\d+ through the proxy at http:\/\/127\.0\.0\.1:\d+ is not trusted \([A-Z_]+\) on config\.auth\.refreshToken$/,
        );
        assert.equal(error.answerLost, false);
        assert.equal(sim.callCount(), calls);
      } finally {
        client.close();
        restoreEnv();
      }
    },
  );
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
