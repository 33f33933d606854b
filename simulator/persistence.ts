import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The token ledger as written to the state file, so the demo's simulator can restart without
 * invalidating the refresh token the user pasted into Node-RED.
 */
export interface PersistedAccessToken {
  token: string;
  appId: string;
  expiresAt: number;
  revoked: boolean;
}

export interface PersistedRefreshToken {
  token: string;
  appId: string;
  expiresAt: number;
  status: RefreshTokenStatus;
  /** The access token handed out with it, which a refresh may revoke (refreshRevokesAccessToken). */
  accessToken?: string;
}

export type RefreshTokenStatus = 'valid' | 'rotated' | 'expired';

export interface PersistedState {
  version: 1;
  accessTokens: PersistedAccessToken[];
  refreshTokens: PersistedRefreshToken[];
}

/** undefined when the file does not exist yet; throws when it exists but is not ours. */
export function loadState(file: string): PersistedState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`simulator state file ${file} is not valid JSON`);
  }
  const state = asState(parsed);
  if (!state) throw new Error(`simulator state file ${file} does not hold simulator state`);
  return state;
}

/**
 * Write to a temporary file and rename it over the old one, so a crash mid-write never leaves
 * a truncated file that would lose every token. Mode 0600 because the file holds live tokens.
 */
export function saveState(file: string, state: PersistedState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asAccessToken(value: unknown): PersistedAccessToken | undefined {
  if (!isRecord(value)) return undefined;
  const { token, appId, expiresAt, revoked } = value;
  if (typeof token !== 'string' || typeof appId !== 'string' || typeof expiresAt !== 'number')
    return undefined;
  return { token, appId, expiresAt, revoked: revoked === true };
}

function asRefreshToken(value: unknown): PersistedRefreshToken | undefined {
  if (!isRecord(value)) return undefined;
  const { token, appId, expiresAt, status, accessToken } = value;
  if (typeof token !== 'string' || typeof appId !== 'string' || typeof expiresAt !== 'number')
    return undefined;
  if (status !== 'valid' && status !== 'rotated' && status !== 'expired') return undefined;
  return typeof accessToken === 'string'
    ? { token, appId, expiresAt, status, accessToken }
    : { token, appId, expiresAt, status };
}

function asState(value: unknown): PersistedState | undefined {
  if (!isRecord(value) || value.version !== 1) return undefined;
  if (!Array.isArray(value.accessTokens) || !Array.isArray(value.refreshTokens)) return undefined;
  const accessTokens = value.accessTokens.map(asAccessToken);
  const refreshTokens = value.refreshTokens.map(asRefreshToken);
  if (accessTokens.some((entry) => !entry) || refreshTokens.some((entry) => !entry)) return undefined;
  return {
    version: 1,
    accessTokens: accessTokens.filter((entry): entry is PersistedAccessToken => entry !== undefined),
    refreshTokens: refreshTokens.filter((entry): entry is PersistedRefreshToken => entry !== undefined),
  };
}
