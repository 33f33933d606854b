import { TokenStoreError } from './store-error';

/**
 * How a PostgreSQL failure reads: a message for users that names neither the URL nor the server's
 * words, and a log detail that names the server (never its password).
 */

/** Our own codes for what PostgreSQL has no SQLSTATE for. */
export const INVALID_URL = 'INVALID_URL';
export const SCHEMA_NEWER = 'SCHEMA_NEWER';
export const SCHEMA_UNKNOWN = 'SCHEMA_UNKNOWN';

/** Failures that pass by themselves: the server restarting or unreachable for a moment, a lock, a timeout. */
const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  'CONNECTION_LOST',
  'TIMEOUT',
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
]);

/** Codes grouped by what a user can do about them. */
const ADVICE: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|CONNECTION_LOST|TIMEOUT|57P0[123]|08)/,
    'the PostgreSQL server does not answer; check that it runs and that the host and port in the database URL are right (scenes go on with the cached access token meanwhile)',
  ],
  [/^(ENOTFOUND|EAI_AGAIN)$/, 'the host in the database URL is unknown; check its spelling and DNS'],
  [/^(28P01|28000)$/, 'the server refused the user or password in the database URL'],
  [/^3D000$/, 'the database named in the URL does not exist; create it or fix the URL'],
  [
    /^42501$/,
    'the database user lacks a permission: on first use it creates the aqara_ tables (CREATE on the schema), then reads and writes them; a newer version changes them, which needs their owner',
  ],
  [/^(55P03|57014|40001|40P01)$/, 'another host held the row too long; try again in a few seconds'],
  [/^53/, 'the server is out of resources (connections, memory or disk); see its log'],
  [/^SSL$/, 'the SSL settings of the database URL do not match the server (see sslmode)'],
  [new RegExp(`^${INVALID_URL}$`), 'the database URL is not a postgres:// connection string'],
  [
    new RegExp(`^${SCHEMA_NEWER}$`),
    'a newer version of this package changed the tables in a way this one cannot use; update the package on this host',
  ],
  [
    new RegExp(`^${SCHEMA_UNKNOWN}$`),
    'an aqara_ table exists that this package did not make or no longer recognises; see the log for which',
  ],
];

function codeOf(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  // pg reports a lost connection and its own timeouts by message only.
  if (/Connection terminated|connection ended|Client was closed/i.test(error.message))
    return 'CONNECTION_LOST';
  if (/timeout/i.test(error.message)) return 'TIMEOUT';
  if (/SSL/.test(error.message)) return 'SSL';
  return error.name;
}

export function isTransientPostgresError(error: unknown): boolean {
  const code = codeOf(error);
  return TRANSIENT.has(code) || code.startsWith('08');
}

/** The server without user secrets: what a log line may name. */
export function describeServer(url: URL): string {
  const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
  return `${url.protocol}//${user}${url.host}${url.pathname}`;
}

/** An error carrying one of our own codes, worded like the database's. */
export function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A storage error whose message names neither the URL nor the server's words; the log detail names the server. */
export function postgresError(
  action: string,
  server: string,
  error: unknown,
  password = '',
): TokenStoreError {
  if (error instanceof TokenStoreError) return error;
  const code = codeOf(error);
  const advice = ADVICE.find(([pattern]) => pattern.test(code))?.[1] ?? 'see the log for the reason';
  let raw = error instanceof Error ? error.message : 'unknown';
  // Defence in depth: no server message is known to echo a password, but none may reach a log.
  if (password !== '') raw = raw.split(password).join('***');
  return new TokenStoreError(
    `token database (PostgreSQL): cannot ${action} (${code}): ${advice}; the log names the server`,
    isTransientPostgresError(error),
    `token database ${server}: cannot ${action} (${code}: ${raw})`,
  );
}
