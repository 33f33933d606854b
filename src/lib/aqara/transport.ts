import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { HttpsProxyAgent } from 'https-proxy-agent';
import { AqaraError } from './errors';

/**
 * The connection pool under AqaraClient: one keep-alive agent per client, direct or through the
 * proxy the environment names, the way Node-RED's own http request node and curl read it.
 */

/**
 * Idle keep-alive sockets are closed by us after this long. Servers close idle connections too
 * (Node's default is 5 s); if both sides close at once, a request sent on the dying socket fails
 * with ECONNRESET, which we must report as "answer lost". Closing first avoids that race. Node
 * also shortens this further when the server announces `Keep-Alive: timeout=N`.
 */
export const IDLE_SOCKET_MS = 4_000;

/**
 * Connections per host at most. A cold burst (a restart with 1,000 queued runs) then waits its turn
 * on a few warm connections instead of opening 1,000 TLS handshakes to Aqara (or tunnels through a
 * proxy); 32 keeps the queue short at a real cloud's 20 to 200 ms a call.
 */
export const MAX_SOCKETS_PER_HOST = 32;

/** A refused CONNECT: the proxy answered the tunnel request with this status, Aqara saw nothing. */
export const PROXY_REFUSED = 'EPROXYREFUSED';

/** The proxy a client goes through: its URL for the agent, and how it may be named in errors. */
export interface ProxyRoute {
  url: URL;
  /** Scheme, host and port only: a proxy URL may carry a user name and password. */
  shown: string;
}

export interface Transport {
  agent: http.Agent;
  proxy: ProxyRoute | undefined;
}

/**
 * Picks the route for requests to `target` from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY
 * (either case; NO_PROXY takes hosts, `.suffix` or `*.suffix`, optional `:port`, or `*`).
 * Read once, when the client is made: Node-RED reads its environment once too.
 */
export function proxyFor(target: URL): ProxyRoute | undefined {
  const configured = proxyModules().proxyFromEnv.getProxyForUrl(target);
  if (configured === '') return undefined;
  let url: URL;
  try {
    url = new URL(configured);
  } catch {
    // The variable's value is not repeated: it may hold a password.
    throw new AqaraError(`the ${target.protocol.slice(0, -1).toUpperCase()}_PROXY setting is not a URL`, {
      kind: 'caller',
    });
  }
  const shown = `${url.protocol}//${url.host}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AqaraError(`proxy ${shown} is not supported: only http:// and https:// proxies are`, {
      kind: 'caller',
    });
  }
  return { url, shown };
}

export function createTransport(target: URL): Transport {
  const proxy = proxyFor(target);
  // Node unrefs idle pooled sockets, so a forgotten client does not keep the process alive.
  const options: http.AgentOptions = {
    keepAlive: true,
    timeout: IDLE_SOCKET_MS,
    maxSockets: MAX_SOCKETS_PER_HOST,
  };
  const secure = target.protocol === 'https:';
  if (proxy === undefined) {
    return { agent: secure ? new https.Agent(options) : new http.Agent(options), proxy };
  }
  // HTTPS goes through a CONNECT tunnel, so the proxy sees neither headers nor body; plain HTTP
  // (a custom base URL) is forwarded as proxies expect it. Both pool and cap like direct agents.
  const agent = secure
    ? new (tunnelAgentClass())(proxy.url, options)
    : new (proxyModules().httpProxyAgent.HttpProxyAgent)(proxy.url, options);
  return { agent, proxy };
}

/**
 * The proxy libraries load only when a transport is made (they cost start-up time in every
 * Node-RED that has the package installed, flows or not), once.
 */
interface ProxyModules {
  proxyFromEnv: typeof import('proxy-from-env');
  httpProxyAgent: typeof import('http-proxy-agent');
  httpsProxyAgent: typeof import('https-proxy-agent');
}
let loaded: ProxyModules | undefined;

function proxyModules(): ProxyModules {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded late on purpose, see above */
  loaded ??= {
    proxyFromEnv: require('proxy-from-env') as typeof import('proxy-from-env'),
    httpProxyAgent: require('http-proxy-agent') as typeof import('http-proxy-agent'),
    httpsProxyAgent: require('https-proxy-agent') as typeof import('https-proxy-agent'),
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return loaded;
}

type TunnelAgentClass = new (
  proxy: URL,
  options: ConstructorParameters<typeof HttpsProxyAgent<string>>[1],
) => HttpsProxyAgent<string>;
let tunnelAgent: TunnelAgentClass | undefined;

/**
 * https-proxy-agent hands a refused CONNECT's answer to the request as if Aqara had sent it; a
 * refusal is the proxy's, so it becomes an error of its own that names the status.
 */
function tunnelAgentClass(): TunnelAgentClass {
  tunnelAgent ??= class TunnelAgent extends proxyModules().httpsProxyAgent.HttpsProxyAgent<string> {
    override async connect(
      req: http.ClientRequest,
      opts: Parameters<HttpsProxyAgent<string>['connect']>[1],
    ): Promise<Socket> {
      let status = 0;
      req.once('proxyConnect', (answer: { statusCode: number }) => {
        status = answer.statusCode;
      });
      const socket = await super.connect(req, opts);
      if (status === 200) return socket;
      socket.destroy();
      throw Object.assign(new Error(`proxy answered CONNECT with HTTP ${status}`), {
        code: PROXY_REFUSED,
        status,
      });
    }
  };
  return tunnelAgent;
}
