import type { FlowNode } from './flow';

/**
 * The few Node-RED admin API calls the demo makes: the same routes the editor and a user's scripts use,
 * so the demo provisions itself exactly as a person would (credentials encrypted by Node-RED, the
 * refresh token stored through the package's own route). No error text here ever includes a token.
 */

const REQUEST_TIMEOUT_MS = 10_000;
const POLL_MS = 200;

export interface TokenStatusAnswer {
  httpStatus: number;
  body: Record<string, unknown>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class NodeRedAdmin {
  constructor(private readonly baseUrl: string) {}

  private url(path: string): string {
    return new URL(path, this.baseUrl).toString();
  }

  private async request(path: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
    const response = await fetch(this.url(path), {
      ...init,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, text: await response.text() };
  }

  async getFlows(): Promise<FlowNode[]> {
    const { status, text } = await this.request('flows', {
      headers: { Accept: 'application/json', 'Node-RED-API-Version': 'v1' },
    });
    if (status !== 200) throw new Error(`GET /flows answered HTTP ${status}`);
    return JSON.parse(text) as FlowNode[];
  }

  /** A full deploy, as the editor's Deploy button does. Node-RED answers before the flows have started. */
  async deployFlows(flows: readonly FlowNode[]): Promise<void> {
    const { status, text } = await this.request('flows', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Node-RED-API-Version': 'v1',
        'Node-RED-Deployment-Type': 'full',
      },
      body: JSON.stringify(flows),
    });
    if (status !== 204 && status !== 200) throw new Error(`POST /flows answered HTTP ${status}: ${text}`);
  }

  async tokenStatus(configId: string): Promise<TokenStatusAnswer> {
    const { status, text } = await this.request(`aqara/token-status?config=${encodeURIComponent(configId)}`);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: a 404 from Node-RED itself when the package's routes are missing. The status says enough.
    }
    return { httpStatus: status, body };
  }

  /** Polls token-status until the config node is deployed and its routes know it. */
  async waitForConfig(configId: string, alive: () => boolean, timeoutMs: number): Promise<TokenStatusAnswer> {
    const deadline = Date.now() + timeoutMs;
    let last: TokenStatusAnswer | undefined;
    while (Date.now() < deadline) {
      if (!alive()) throw new Error('Node-RED exited (see its log above)');
      last = await this.tokenStatus(configId);
      if (last.httpStatus === 200) return last;
      await delay(POLL_MS);
    }
    throw new Error(
      `GET /aqara/token-status for ${configId} still answers HTTP ${last?.httpStatus ?? '-'} ` +
        `${JSON.stringify(last?.body ?? {})}: is the package loaded and the demo config node deployed?`,
    );
  }

  async storeRefreshToken(configId: string, refreshToken: string): Promise<void> {
    const { status, text } = await this.request('aqara/refresh-token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken, config: configId }),
    });
    // The route's answers never echo the token, so its text is safe to show.
    if (status !== 200) throw new Error(`POST /aqara/refresh-token answered HTTP ${status}: ${text}`);
  }
}
