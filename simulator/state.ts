import { createHash, randomBytes } from 'node:crypto';
import type { PersistedState, RefreshTokenStatus } from './persistence';

interface AccessTokenRecord {
  appId: string;
  expiresAt: number;
  /** Set by expireAccessTokens(): a flag rather than a past expiry, so a fake clock can't revive it. */
  revoked: boolean;
}

interface RefreshTokenRecord {
  appId: string;
  expiresAt: number;
  status: RefreshTokenStatus;
  /** The access token handed out with this refresh token (the last one, when it is not rotated). */
  accessToken?: string;
}

export interface TokenLedgerOptions {
  now: () => number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  rotateRefreshToken: boolean;
  /** A refresh kills the access token obtained with the refresh token it used. */
  refreshRevokesAccessToken?: boolean;
  initial?: PersistedState;
  /** Called after every change so the state file never lags behind what a client was told. */
  onChange?: (state: PersistedState) => void;
}

export type RefreshOutcome =
  | { ok: true; accessToken: string; refreshToken?: string; openId: string; expiresInSeconds: number }
  | { ok: false; code: 2006 | 2007 };

export type AccessCheck =
  { ok: true; openId: string } | { ok: false; code: 108 | 109; message: string; detail?: string };

/** Aqara's openId names the authorised account; one account per app is all the tests need. */
export function openIdFor(appId: string): string {
  return createHash('md5').update(`sim-open-id:${appId}`).digest('hex').slice(0, 24);
}

/**
 * Access and refresh tokens in separate maps: to a client both are opaque 32-hex strings,
 * but the simulator must never accept one in place of the other.
 */
export class TokenLedger {
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();

  constructor(private readonly options: TokenLedgerOptions) {
    for (const entry of options.initial?.accessTokens ?? []) {
      this.accessTokens.set(entry.token, {
        appId: entry.appId,
        expiresAt: entry.expiresAt,
        revoked: entry.revoked,
      });
    }
    for (const entry of options.initial?.refreshTokens ?? []) {
      this.refreshTokens.set(entry.token, {
        appId: entry.appId,
        expiresAt: entry.expiresAt,
        status: entry.status,
        accessToken: entry.accessToken,
      });
    }
  }

  issueRefreshToken(appId: string): string {
    const token = this.mint();
    this.refreshTokens.set(token, {
      appId,
      expiresAt: this.options.now() + this.options.refreshTokenTtlSeconds * 1000,
      status: 'valid',
    });
    this.changed();
    return token;
  }

  refresh(appId: string, token: string): RefreshOutcome {
    const record = this.refreshTokens.get(token);
    // Another app's token is "incorrect" for this app, exactly like one that never existed.
    if (!record || record.appId !== appId || record.status === 'rotated') return { ok: false, code: 2006 };
    const now = this.options.now();
    if (record.status === 'expired' || now >= record.expiresAt) return { ok: false, code: 2007 };

    const previous = record.accessToken === undefined ? undefined : this.accessTokens.get(record.accessToken);
    if (previous && this.options.refreshRevokesAccessToken) previous.revoked = true;
    const accessToken = this.mint();
    const ttl = this.options.accessTokenTtlSeconds;
    this.accessTokens.set(accessToken, { appId, expiresAt: now + ttl * 1000, revoked: false });

    let refreshToken: string | undefined;
    const refreshExpiresAt = now + this.options.refreshTokenTtlSeconds * 1000;
    if (this.options.rotateRefreshToken) {
      // The old token dies at once: the protocol notes tell clients to assume exactly this.
      record.status = 'rotated';
      refreshToken = this.mint();
      this.refreshTokens.set(refreshToken, {
        appId,
        expiresAt: refreshExpiresAt,
        status: 'valid',
        accessToken,
      });
    } else {
      // Refreshing renews the refresh token's life even when Aqara keeps the same string.
      record.expiresAt = refreshExpiresAt;
      record.accessToken = accessToken;
    }
    this.changed();
    return { ok: true, accessToken, refreshToken, openId: openIdFor(appId), expiresInSeconds: ttl };
  }

  checkAccessToken(appId: string, token: string | undefined): AccessCheck {
    if (token === undefined) return { ok: false, code: 109, message: 'token is absent' };
    const record = this.accessTokens.get(token);
    if (!record || record.appId !== appId || record.revoked || this.options.now() >= record.expiresAt) {
      // Real 108 answers echo the refused token in their detail: a client must mask it before it
      // shows or logs Aqara's text.
      return {
        ok: false,
        code: 108,
        message: 'token has expired',
        detail: `Parameter AccessToken illegal, accessToken:${token}`,
      };
    }
    return { ok: true, openId: openIdFor(appId) };
  }

  expireAccessTokens(): void {
    for (const record of this.accessTokens.values()) record.revoked = true;
    this.changed();
  }

  expireRefreshToken(token: string): void {
    const record = this.refreshTokens.get(token);
    // Never echo the token: test output is a log too.
    if (!record) throw new Error('expireRefreshToken: the simulator never issued that refresh token');
    record.status = 'expired';
    this.changed();
  }

  isRefreshTokenValid(token: string): boolean {
    const record = this.refreshTokens.get(token);
    return record !== undefined && this.isLive(record);
  }

  currentRefreshTokens(appId?: string): string[] {
    const tokens: string[] = [];
    for (const [token, record] of this.refreshTokens) {
      if ((appId === undefined || record.appId === appId) && this.isLive(record)) tokens.push(token);
    }
    return tokens;
  }

  snapshot(): PersistedState {
    return {
      version: 1,
      accessTokens: [...this.accessTokens].map(([token, record]) => ({ token, ...record })),
      refreshTokens: [...this.refreshTokens].map(([token, record]) => ({ token, ...record })),
    };
  }

  private isLive(record: RefreshTokenRecord): boolean {
    return record.status === 'valid' && this.options.now() < record.expiresAt;
  }

  private mint(): string {
    let token: string;
    do token = randomBytes(16).toString('hex');
    while (this.accessTokens.has(token) || this.refreshTokens.has(token));
    return token;
  }

  private changed(): void {
    this.options.onChange?.(this.snapshot());
  }
}
