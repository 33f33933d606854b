import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AxiosInstance, CreateAxiosDefaults } from 'axios';
import { silentLogger, type Logger } from '../logger';
import { AqaraError, kindOfAqaraCode, type AqaraErrorKind } from './errors';
import { createNonce } from './nonce';
import { normalizeBaseUrl } from './regions';
import { isRecord } from '../is-record';
import { cleanAqaraText, MAX_AQARA_ID, parseAqaraEnvelope, type AqaraEnvelope } from './response';
import { signRequest } from './sign';
import { createTransport, PROXY_REFUSED, type ProxyRoute } from './transport';

export interface AqaraClientOptions {
  baseUrl: string;
  appId: string;
  keyId: string;
  appKey: string;
  lang?: 'en' | 'zh';
  /** Whole-request deadline (connect + send + answer). Default 10000. */
  timeoutMs?: number;
  logger?: Logger;
  /**
   * Source of the signed Time header (ms since epoch). Injectable so tests can play a machine
   * whose clock is off from Aqara's, which Aqara answers with code 105. Default Date.now.
   */
  now?: () => number;
}

export interface AqaraResponse<T = unknown> {
  code: number;
  requestId: string;
  message: string;
  detail?: string;
  result: T;
}

export interface TokenGrant {
  accessToken: string;
  /** Only present when Aqara sent a non-empty one; otherwise the current one stays valid. */
  refreshToken?: string;
  openId?: string;
  /** Raw, as Aqara sent it (documented as a string of seconds; may be a number or garbage). */
  expiresIn?: unknown;
}

export const API_PATH = '/v3.0/open/api';
export const REFRESH_INTENT = 'config.auth.refreshToken';
const DEFAULT_TIMEOUT_MS = 10_000;

/** An answer this large is not an Aqara envelope; refuse it rather than buffer it. */
const MAX_ANSWER_BYTES = 10 * 1024 * 1024;

/** Characters Node accepts in a header value, minus spaces: ids and tokens never contain any. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** Connection never established: the request cannot have reached Aqara. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

/**
 * The server's certificate was not accepted: the handshake failed before a byte of the request was
 * sent. Behind an inspecting corporate proxy this is the usual first error (its CA must be given to
 * Node with NODE_EXTRA_CA_CERTS); it must not be taken for a lost answer.
 */
const CERTIFICATE_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
]);

/** Status and body of one answer, whatever they are: #interpret decides what they mean. */
interface RawAnswer {
  status: number;
  text: string;
}

/**
 * axios and what it pulls in take 100–250 ms to load, and Node-RED loads every node module when it
 * starts, flows or not: so they load when the first client is made, not with the package.
 */
function createAxios(config: CreateAxiosDefaults): AxiosInstance {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded late on purpose, see above
  const axios = require('axios') as typeof import('axios');
  return axios.default.create(config);
}

/**
 * The only place that signs and speaks HTTP to Aqara. It knows nothing about token lifetimes:
 * it sends one request and turns every outcome into either an AqaraResponse (code 0) or a clean
 * AqaraError that carries no secret and no raw axios error (those hold the request headers,
 * including the access token, and the body, including the refresh token).
 */
export class AqaraClient {
  readonly appId: string;
  readonly keyId: string;
  readonly baseUrl: string;
  readonly timeoutMs: number;

  readonly #appKey: string;
  readonly #lang: 'en' | 'zh';
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #host: string;
  readonly #agent: http.Agent;
  readonly #proxy: ProxyRoute | undefined;
  readonly #http: AxiosInstance;
  #closed = false;

  constructor(options: AqaraClientOptions) {
    // Pasted credentials often bring a trailing newline or space; none of Aqara's ids or keys
    // contain whitespace, and a stray one would only surface later as a baffling "invalid sign".
    this.appId = requireCredential(options.appId, 'Aqara App ID');
    this.keyId = requireCredential(options.keyId, 'Aqara Key ID');
    this.#appKey = requireCredential(options.appKey, 'Aqara App Key');
    if (!HEADER_SAFE.test(this.appId))
      throw credentialError('Aqara App ID contains characters that are not allowed');
    if (!HEADER_SAFE.test(this.keyId))
      throw credentialError('Aqara Key ID contains characters that are not allowed');

    if (typeof options.baseUrl !== 'string' || options.baseUrl.trim() === '') {
      throw new AqaraError('Aqara base URL is missing', { kind: 'caller' });
    }
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    const url = new URL(this.baseUrl);
    this.#host = url.host;

    const lang: unknown = options.lang ?? 'en';
    if (lang !== 'en' && lang !== 'zh') {
      throw new AqaraError('Aqara language must be "en" or "zh"', { kind: 'caller' });
    }
    this.#lang = lang;

    const timeoutMs: unknown = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new AqaraError('Aqara timeout must be a positive number of milliseconds', { kind: 'caller' });
    }
    this.timeoutMs = Math.ceil(timeoutMs);
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;

    // One pooled, capped agent per client, direct or through the environment's proxy: reusing the
    // TLS connection is most of the per-call cost.
    const transport = createTransport(new URL(`${this.baseUrl}${API_PATH}`));
    this.#agent = transport.agent;
    this.#proxy = transport.proxy;
    this.#http = createAxios({
      baseURL: this.baseUrl,
      adapter: 'http',
      httpAgent: this.#agent,
      httpsAgent: this.#agent,
      // The agent is the proxy decision; axios' own would tunnel on a pool of its own, uncapped.
      proxy: false,
      // A redirect would replay the Accesstoken header to another host; Aqara does not redirect.
      maxRedirects: 0,
      maxContentLength: MAX_ANSWER_BYTES,
      // Every answer is parsed here, whatever its HTTP status and whatever its body.
      validateStatus: () => true,
      responseType: 'text',
      transformRequest: [(body: unknown) => body],
      transformResponse: [(body: unknown) => body],
    });
  }

  /**
   * Sends one intent. Resolves only for Aqara code 0; everything else throws an AqaraError.
   * Never retries: whether a retry is safe (e.g. a refresh that may have rotated the token)
   * is the caller's decision, informed by `kind` and `answerLost`.
   */
  async request<T = unknown>(intent: string, data: unknown, accessToken?: string): Promise<AqaraResponse<T>> {
    const token = accessToken === undefined || accessToken === '' ? undefined : accessToken;
    if (token !== undefined && (typeof token !== 'string' || !HEADER_SAFE.test(token))) {
      throw new AqaraError('Aqara access token contains characters that are not allowed', {
        kind: 'caller',
        intent,
      });
    }
    const envelope = await this.#send(intent, data, token, []);
    return {
      code: envelope.code,
      requestId: envelope.requestId,
      message: envelope.message,
      ...(envelope.detail === undefined ? {} : { detail: envelope.detail }),
      result: envelope.result as T,
    };
  }

  /**
   * Exchanges a refresh token for a new access token (and, usually, a rotated refresh token).
   * A code-0 answer without a usable access token is reported with answerLost: Aqara may have
   * rotated the refresh token while we could not read the new one.
   */
  async refreshToken(refreshToken: string): Promise<TokenGrant> {
    if (typeof refreshToken !== 'string' || refreshToken.trim() === '') {
      throw new AqaraError('Aqara refresh token is empty', { kind: 'caller', intent: REFRESH_INTENT });
    }
    const envelope = await this.#send(REFRESH_INTENT, { refreshToken }, undefined, [refreshToken]);
    const result = envelope.result;
    if (!isRecord(result) || typeof result.accessToken !== 'string' || result.accessToken === '') {
      throw new AqaraError(
        `Aqara answered ${REFRESH_INTENT} with success but no access token (malformed answer); ` +
          'the refresh token may already have been replaced',
        {
          kind: 'transient',
          code: envelope.code,
          requestId: envelope.requestId,
          intent: REFRESH_INTENT,
          answerLost: true,
        },
      );
    }
    const grant: TokenGrant = { accessToken: result.accessToken };
    if (typeof result.refreshToken === 'string' && result.refreshToken !== '') {
      grant.refreshToken = result.refreshToken;
    }
    // An id from Aqara's answer, like requestId: cleaned before it can reach a log or a status.
    const openId = typeof result.openId === 'string' ? cleanAqaraText(result.openId, [], MAX_AQARA_ID) : '';
    if (openId !== '') grant.openId = openId;
    if (result.expiresIn !== undefined) grant.expiresIn = result.expiresIn;
    return grant;
  }

  /** Closes pooled sockets. Requests made afterwards are refused. */
  close(): void {
    this.#closed = true;
    this.#agent.destroy();
  }

  async #send(
    intent: string,
    data: unknown,
    accessToken: string | undefined,
    extraSecrets: readonly string[],
  ): Promise<AqaraEnvelope> {
    if (this.#closed) throw new AqaraError('Aqara client is closed', { kind: 'caller', intent });
    if (typeof intent !== 'string' || intent.trim() === '') {
      throw new AqaraError('Aqara intent is missing', { kind: 'caller' });
    }
    let body: string;
    try {
      // Aqara expects an object for `data`; sending nothing at all is answered as a params error.
      body = JSON.stringify({ intent, data: data === undefined ? {} : data });
    } catch {
      throw new AqaraError(`data for ${intent} cannot be sent as JSON`, { kind: 'caller', intent });
    }

    const nonce = createNonce();
    const time = String(Math.trunc(this.#now()));
    const sign = signRequest({
      appId: this.appId,
      keyId: this.keyId,
      appKey: this.#appKey,
      nonce,
      time,
      accessToken,
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Appid: this.appId,
      Keyid: this.keyId,
      Nonce: nonce,
      Time: time,
      Sign: sign,
      Lang: this.#lang,
    };
    if (accessToken !== undefined) headers.Accesstoken = accessToken;
    headers['Content-Length'] = String(Buffer.byteLength(body));
    const secrets = [
      this.#appKey,
      sign,
      ...(accessToken === undefined ? [] : [accessToken]),
      ...extraSecrets,
    ];

    const started = performance.now();
    let response: RawAnswer;
    try {
      response = await this.#post(body, headers);
    } catch (error: unknown) {
      const failure = this.#networkError(error, intent);
      this.#logFailure(intent, failure, started);
      throw failure;
    }

    try {
      const envelope = this.#interpret(response, intent, secrets);
      this.#logger.debug(
        `aqara ${intent} code=${envelope.code} ${elapsed(started)} ms requestId=${envelope.requestId}`,
      );
      return envelope;
    } catch (error: unknown) {
      if (error instanceof AqaraError) this.#logFailure(intent, error, started);
      throw error;
    }
  }

  /**
   * One POST. Resolves with any status and body; rejects with axios' error for a failed connection
   * or an answer too large to be an Aqara envelope, and ETIMEDOUT when the whole call, queueing for a
   * pooled socket included, outlives timeoutMs: axios' own timeout restarts on socket activity.
   */
  async #post(body: string, headers: Record<string, string>): Promise<RawAnswer> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      const response = await this.#http.post<unknown>(API_PATH, body, { headers, signal: controller.signal });
      return { status: response.status, text: typeof response.data === 'string' ? response.data : '' };
    } catch (error: unknown) {
      if (timedOut)
        throw Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #interpret(response: RawAnswer, intent: string, secrets: readonly string[]): AqaraEnvelope {
    const status = response.status;
    const envelope = parseAqaraEnvelope(response.text, secrets);
    const httpStatus = status === 200 ? undefined : status;
    const ok = status >= 200 && status < 300;

    if (envelope !== undefined && envelope.code !== 0) {
      const { message, detail = '' } = envelope;
      let summary = `Aqara error ${envelope.code}`;
      if (message !== '') summary += ` (${message})`;
      summary += ` on ${intent}`;
      if (detail !== '' && detail !== message) summary += `: ${detail}`;
      throw new AqaraError(summary, {
        kind: kindOfAqaraCode(envelope.code, intent),
        code: envelope.code,
        requestId: envelope.requestId || undefined,
        intent,
        httpStatus,
      });
    }
    if (envelope !== undefined && ok) return envelope;

    if (ok) {
      // Aqara processed something but we cannot read what: for a refresh the token may be rotated.
      throw new AqaraError(`Aqara sent an unreadable answer (HTTP ${status}) on ${intent}`, {
        kind: 'transient',
        intent,
        httpStatus,
        answerLost: true,
      });
    }
    const via = this.#proxy === undefined ? '' : ` (through the proxy at ${this.#proxy.shown})`;
    if (status === 407 && this.#proxy !== undefined) {
      throw new AqaraError(`the proxy at ${this.#proxy.shown} asks for credentials (HTTP 407) on ${intent}`, {
        kind: 'rejected',
        intent,
        httpStatus,
      });
    }
    const kind: AqaraErrorKind = status >= 500 || status === 429 ? 'transient' : 'rejected';
    throw new AqaraError(`Aqara answered HTTP ${status} on ${intent}${via}`, {
      kind,
      intent,
      httpStatus,
      // Gateway errors mean an upstream may have handled the request without us seeing the answer;
      // on a refresh any server error may have come after Aqara rotated the refresh token.
      answerLost: status === 502 || status === 504 || (status >= 500 && intent === REFRESH_INTENT),
    });
  }

  #networkError(error: unknown, intent: string): AqaraError {
    const code = errorCode(error);
    const proxy = this.#proxy;
    if (code !== undefined && TIMEOUT_CODES.has(code)) {
      return new AqaraError(`no answer from Aqara within ${this.timeoutMs} ms on ${intent}`, {
        kind: 'transient',
        intent,
        answerLost: true,
      });
    }
    if (code === PROXY_REFUSED && proxy !== undefined) {
      const status = proxyStatus(error);
      return new AqaraError(
        `the proxy at ${proxy.shown} refused to connect to ${this.#host} (HTTP ${status}) on ${intent}`,
        // A refusal the proxy may lift by itself (503, 502) is worth retrying; 403 or 407 is not.
        { kind: status >= 500 ? 'transient' : 'rejected', intent, answerLost: false },
      );
    }
    if (code !== undefined && CERTIFICATE_CODES.has(code)) {
      const via = proxy === undefined ? '' : ` through the proxy at ${proxy.shown}`;
      return new AqaraError(
        `the TLS certificate of ${this.#host}${via} is not trusted (${code}) on ${intent}`,
        { kind: 'rejected', intent, answerLost: false },
      );
    }
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      // Through a proxy, the only connection this process opens is the one to the proxy.
      const where = proxy === undefined ? `Aqara at ${this.#host}` : `the proxy at ${proxy.shown}`;
      return new AqaraError(`cannot reach ${where} (${code}) on ${intent}`, {
        kind: 'transient',
        intent,
        answerLost: false,
      });
    }
    if (this.#closed) {
      return new AqaraError(`Aqara client was closed during ${intent}`, {
        kind: 'transient',
        intent,
        answerLost: true,
      });
    }
    // ERR_BAD_RESPONSE: axios refused the answer (larger than MAX_ANSWER_BYTES, or cut short);
    // HPE_*: Node's HTTP parser could not read it.
    if (code === 'ERR_BAD_RESPONSE' || code?.startsWith('HPE_')) {
      return new AqaraError(`Aqara sent an unreadable answer on ${intent}`, {
        kind: 'transient',
        intent,
        answerLost: true,
      });
    }
    // ECONNRESET, socket hang up, EPIPE and anything unexpected: the request may have been
    // delivered, so the caller must assume Aqara acted on it.
    const shown = code !== undefined && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'connection failed';
    const via = proxy === undefined ? '' : ` through the proxy at ${proxy.shown}`;
    return new AqaraError(`connection to Aqara at ${this.#host}${via} lost on ${intent} (${shown})`, {
      kind: 'transient',
      intent,
      answerLost: true,
    });
  }

  #logFailure(intent: string, error: AqaraError, started: number): void {
    const code = error.code === undefined ? '' : ` code=${error.code}`;
    const requestId = error.requestId === undefined ? '' : ` requestId=${error.requestId}`;
    this.#logger.debug(`aqara ${intent} failed kind=${error.kind}${code} ${elapsed(started)} ms${requestId}`);
  }
}

function requireCredential(value: unknown, label: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw credentialError(`${label} is missing`);
  return value.trim();
}

function credentialError(message: string): AqaraError {
  return new AqaraError(message, { kind: 'app_credentials' });
}

/** The network error code (ECONNREFUSED, ...), from the error or the Node error it wraps. */
function errorCode(error: unknown): string | undefined {
  if (!isRecord(error) && !(error instanceof Error)) return undefined;
  const own: unknown = (error as { code?: unknown }).code;
  const cause: unknown = (error as { cause?: unknown }).cause;
  const inner: unknown =
    cause instanceof Error || isRecord(cause) ? (cause as { code?: unknown }).code : undefined;
  // A wrapper's own ERR_ code is less precise than the Node code it wraps.
  if (typeof inner === 'string' && (typeof own !== 'string' || own.startsWith('ERR_'))) return inner;
  return typeof own === 'string' ? own : undefined;
}

/** The status a proxy refused a CONNECT with (see transport.ts), wherever axios put that error. */
function proxyStatus(error: unknown): number {
  for (const candidate of [
    error,
    isRecord(error) || error instanceof Error ? (error as { cause?: unknown }).cause : undefined,
  ]) {
    const status: unknown =
      isRecord(candidate) || candidate instanceof Error
        ? (candidate as { status?: unknown }).status
        : undefined;
    if (typeof status === 'number') return status;
  }
  return 0;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
