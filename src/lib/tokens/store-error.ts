import { AqaraError } from '../aqara/errors';

/**
 * A storage failure; `locked` when it passes by itself (another SQLite connection held the write lock,
 * the PostgreSQL server is restarting). Its message is for users (what failed, what to do) and names
 * neither the file, the database URL nor the database's own text: it reaches route answers, statuses
 * and flows. `logDetail` has those (never a password or a token), for the log only.
 */
export class TokenStoreError extends AqaraError {
  readonly locked: boolean;
  readonly logDetail: string;
  constructor(message: string, locked: boolean, logDetail: string = message) {
    super(message, { kind: 'storage' });
    this.name = 'TokenStoreError';
    this.locked = locked;
    this.logDetail = logDetail;
  }
}

/** The text for a log line: a storage failure's full detail, anything else's message. */
export function logText(error: unknown): string {
  if (error instanceof TokenStoreError) return error.logDetail;
  return error instanceof Error ? error.message : String(error);
}
