import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { urlToHttpOptions } from 'node:url';
import { silentLogger, type Logger } from '../logger';
import { AqaraError, kindOfAqaraCode, type AqaraErrorKind } from './errors';
import { createNonce } from './nonce';
import { normalizeBaseUrl } from './regions';
import { isRecord } from '../is-record';
import { parseAqaraEnvelope, type AqaraEnvelope } from './response';
import { signRequest } from './sign';

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

/**
 * Idle keep-alive sockets are closed by us after this long. Servers close idle connections too
 * (Node's default is 5 s); if both sides close at once, a request sent on the dying socket fails
 * with ECONNRESET, which we must report as "answer lost". Closing first avoids that race. Node
 * also shortens this further when the server announces `Keep-Alive: timeout=N`.
 */
const IDLE_SOCKET_MS = 4_000;

/** An answer this large is not an Aqara envelope; refuse it rather than buffer it. */
const MAX_ANSWER_BYTES = 10 * 1024 * 1024;

/** Aqara's own text is shown to users; keep it readable and bounded. */
const MAX_AQARA_TEXT = 300;

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

/** Status and body of one answer, whatever they are: #interpret decides what they mean. */
interface RawAnswer {
  status: number;
  text: string;
}

/** A failure of our own making (deadline, oversized answer), coded like Node's network errors. */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * The only place that signs and speaks HTTP to Aqara. It knows nothing about token lifetimes:
 * it sends one request and turns every outcome into either an AqaraResponse (code 0) or a clean
 * AqaraError that carries no secret and no raw Node error.
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
  readonly #request: typeof http.request;
  /** Host, port and API path, worked out once: request options are built on every call, so they stay small. */
  readonly #target: {
    hostname: string | null | undefined;
    port: string | number | null | undefined;
    path: string | null | undefined;
  };
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

    // One pooled agent per client: reusing the TLS connection is most of the per-call cost.
    // Node unrefs idle pooled sockets, so a forgotten client does not keep the process alive.
    const agentOptions: http.AgentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS };
    this.#agent = url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    // Plain node:http(s) rather than axios: axios' per-call config merging, header normalisation and
    // abort-signal plumbing cost more than signing, sending and parsing together (docs/benchmarks.md).
    // node:http never takes a proxy from the environment and never follows a redirect (which would
    // replay the Accesstoken header to another host), so neither needs switching off.
    this.#request = url.protocol === 'https:' ? https.request : http.request;
    const target = urlToHttpOptions(new URL(`${this.baseUrl}${API_PATH}`));
    this.#target = { hostname: target.hostname, port: target.port, path: target.path };
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
    if (typeof result.openId === 'string' && result.openId !== '') grant.openId = result.openId;
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
   * One POST on the pooled agent. Resolves with any status and body; rejects with Node's error for a
   * failed connection, ETIMEDOUT when the whole call outlives timeoutMs (one deadline for connect,
   * send and answer: a socket-inactivity timeout would restart on every byte), or
   * ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED for an answer too large to be an Aqara envelope.
   */
  #post(body: string, headers: Record<string, string>): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(
        () => req.destroy(codedError(`no answer within ${this.timeoutMs} ms`, 'ETIMEDOUT')),
        this.timeoutMs,
      );
      const req = this.#request(
        {
          hostname: this.#target.hostname,
          port: this.#target.port,
          path: this.#target.path,
          method: 'POST',
          agent: this.#agent,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
            else req.destroy(codedError('answer too large', 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED'));
          });
          res.on('end', () =>
            finish(() =>
              resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
            ),
          );
          // A connection dropped in the middle of the answer: Node emits 'error' (ECONNRESET, "aborted").
          res.on('error', (error) => finish(() => reject(error)));
        },
      );
      req.on('error', (error) => finish(() => reject(error)));
      req.end(body);
    });
  }

  #interpret(response: RawAnswer, intent: string, secrets: readonly string[]): AqaraEnvelope {
    const status = response.status;
    const text = response.text;
    const envelope = parseAqaraEnvelope(text);
    const httpStatus = status === 200 ? undefined : status;
    const ok = status >= 200 && status < 300;

    if (envelope !== undefined && envelope.code !== 0) {
      const message = clean(envelope.message, secrets);
      const detail = envelope.detail === undefined ? '' : clean(envelope.detail, secrets);
      let summary = `Aqara error ${envelope.code}`;
      if (message !== '') summary += ` (${message})`;
      summary += ` on ${intent}`;
      if (detail !== '' && detail !== message) summary += `: ${detail}`;
      throw new AqaraError(summary, {
        kind: kindOfAqaraCode(envelope.code),
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
    const kind: AqaraErrorKind = status >= 500 || status === 429 ? 'transient' : 'rejected';
    throw new AqaraError(`Aqara answered HTTP ${status} on ${intent}`, {
      kind,
      intent,
      httpStatus,
      // Gateway errors mean an upstream may have handled the request without us seeing the answer.
      answerLost: status === 502 || status === 504,
    });
  }

  #networkError(error: unknown, intent: string): AqaraError {
    const code = errorCode(error);
    if (code !== undefined && TIMEOUT_CODES.has(code)) {
      return new AqaraError(`no answer from Aqara within ${this.timeoutMs} ms on ${intent}`, {
        kind: 'transient',
        intent,
        answerLost: true,
      });
    }
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      return new AqaraError(`cannot reach Aqara at ${this.#host} (${code}) on ${intent}`, {
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
    // HPE_*: Node's HTTP parser could not read the answer.
    if (code === 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED' || code?.startsWith('HPE_')) {
      return new AqaraError(`Aqara sent an unreadable answer on ${intent}`, {
        kind: 'transient',
        intent,
        answerLost: true,
      });
    }
    // ECONNRESET, socket hang up, EPIPE and anything unexpected: the request may have been
    // delivered, so the caller must assume Aqara acted on it.
    const shown = code !== undefined && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'connection failed';
    return new AqaraError(`connection to Aqara at ${this.#host} lost on ${intent} (${shown})`, {
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

/**
 * Makes Aqara's free text safe to show: Aqara could echo a token or key back (e.g. "Parameter
 * AccessToken <token> illegal"), so every secret of this request is masked, in any letter case
 * since the signed string is lowercased; control characters are flattened so a message cannot
 * forge extra log lines.
 */
function clean(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret === '') continue;
    out = out.replace(new RegExp(escapeRegExp(secret), 'gi'), '***');
  }
  out = Array.from(out, (ch) => (isControl(ch) ? ' ' : ch))
    .join('')
    .trim();
  return out.length > MAX_AQARA_TEXT ? `${out.slice(0, MAX_AQARA_TEXT)}…` : out;
}

function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
