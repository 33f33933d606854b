import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

/**
 * The least a hand-written Aqara integration must do for one call, written here on purpose without
 * any of the package's code (least of all its signer): md5 signature, POST on a keep-alive agent,
 * JSON.parse of the answer, a look at `code`. No timeout, no retry, no token handling, no error
 * wording. It is the yardstick every per-call figure of the package is divided by.
 */

export interface BareCredentials {
  baseUrl: string;
  appId: string;
  keyId: string;
  appKey: string;
}

export interface BareAnswer {
  code: number;
  requestId: string;
  result: unknown;
}

const API_PATH = '/v3.0/open/api';

export class BareAqaraPoster {
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly host: string;
  private readonly port: number;

  constructor(private readonly credentials: BareCredentials) {
    const url = new URL(credentials.baseUrl);
    if (url.protocol !== 'http:')
      throw new Error('the bare poster speaks plain HTTP to the local simulator only');
    this.host = url.hostname;
    this.port = Number(url.port || 80);
  }

  /** Aqara's rule: md5 of the lowercased `Accesstoken=..&Appid=..&Keyid=..&Nonce=..&Time=..` + app key. */
  private sign(nonce: string, time: string, accessToken: string | undefined): string {
    const { appId, keyId, appKey } = this.credentials;
    const prefix = accessToken ? `Accesstoken=${accessToken}&` : '';
    const text = `${prefix}Appid=${appId}&Keyid=${keyId}&Nonce=${nonce}&Time=${time}${appKey}`;
    return createHash('md5').update(text.toLowerCase()).digest('hex');
  }

  post(intent: string, data: unknown, accessToken?: string): Promise<BareAnswer> {
    const nonce = randomBytes(16).toString('hex');
    const time = String(Date.now());
    const body = JSON.stringify({ intent, data });
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      Appid: this.credentials.appId,
      Keyid: this.credentials.keyId,
      Nonce: nonce,
      Time: time,
      Sign: this.sign(nonce, time, accessToken),
    };
    if (accessToken) headers.Accesstoken = accessToken;
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.host, port: this.port, path: API_PATH, method: 'POST', headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BareAnswer;
              if (answer.code !== 0) reject(new Error(`Aqara answered code ${answer.code} on ${intent}`));
              else resolve(answer);
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** What a hand-written flow does once, by hand or in a separate flow, before any scene runs. */
  async fetchAccessToken(refreshToken: string): Promise<{ accessToken: string; refreshToken: string }> {
    const answer = await this.post('config.auth.refreshToken', { refreshToken });
    const result = answer.result as { accessToken?: unknown; refreshToken?: unknown };
    if (typeof result.accessToken !== 'string' || typeof result.refreshToken !== 'string') {
      throw new Error('the simulator answered the refresh without tokens');
    }
    return { accessToken: result.accessToken, refreshToken: result.refreshToken };
  }

  close(): void {
    this.agent.destroy();
  }
}
