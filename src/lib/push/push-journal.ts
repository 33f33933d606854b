import type Database from 'better-sqlite3';
import { constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { JournalWriter } from './journal-writer';
import { openDatabase } from '../sqlite';
import { TokenStore, TokenStoreError } from '../tokens/store';

/**
 * Aqara does not resend a push we acknowledged, so every push is written here, durably, before
 * its 200; and it may resend one we did not, so the message ids of the last 12 hours are kept to
 * acknowledge a repeat without emitting it twice. A push acknowledged but not yet handed to a
 * flow (a redeploy or a crash in between) is still here, unemitted, and is emitted on the next
 * start. Same SQLite file as the tokens (its modes and WAL set up by the token store), own table.
 */

export type RecordOutcome = 'new' | 'seen';

export interface PendingPush {
  msgId: string;
  receivedAt: number;
  message: unknown;
}

/** Aqara keeps failed pushes for 12 hours and may redeliver within them. */
export const DEDUPE_WINDOW_MS = 12 * 3600 * 1000;
/** A push nobody emitted (its config was removed) is dropped after this long. */
export const UNEMITTED_KEEP_MS = 7 * 24 * 3600 * 1000;
/** Prune at most this often: a DELETE on every push would be wasted work. */
const PRUNE_EVERY_MS = 10 * 60 * 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS aqara_push_journal (
  config_id   TEXT NOT NULL,
  msg_id      TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  message     TEXT NOT NULL,
  emitted_at  INTEGER,
  PRIMARY KEY (config_id, msg_id)
);
CREATE INDEX IF NOT EXISTS aqara_push_journal_received ON aqara_push_journal (received_at);
CREATE INDEX IF NOT EXISTS aqara_push_journal_pending ON aqara_push_journal (config_id, emitted_at)`;

interface Waiting {
  configId: string;
  msgId: string;
  message: string;
  resolve: (outcome: RecordOutcome) => void;
  reject: (error: unknown) => void;
}

/** Marks kept in the file (and in memory) before they are folded into the table. */
const FOLD_EVERY = 1000;

/** Longer than the token store's: a push must be written, and the wait happens once per batch. */
const BUSY_TIMEOUT_MS = 2000;

export class PushJournal {
  private static readonly openJournals = new Map<string, PushJournal>();

  readonly path: string;
  private readonly db: Database.Database;
  /**
   * Marks are appended to a file beside the database first (one write(2), a few microseconds) and
   * folded into the table before every read of what is pending. A push is marked as its message
   * reaches the next node, and the time between that node's work and the mark is the window in
   * which a kill emits the push again after the restart: an UPDATE (60-120 µs) made it ten times
   * wider. A mark lost with the operating system (not with a killed process: the write is done)
   * only emits that push again; the record of a push itself is synchronous = FULL.
   */
  private readonly marksPath: string;
  private marksFd: number | undefined;
  /** The file may hold marks the table lacks (at the start: a previous process's). */
  private marksWritten = true;
  /** Marks in the file, not yet in the table: `pending` leaves these out without a fold each time. */
  private readonly unfolded = new Set<string>();
  private readonly insert: Database.Statement<[string, string, number, string]>;
  private readonly markOne: Database.Statement<[number, string, string]>;
  private readonly selectPending: Database.Statement<
    [string],
    { msg_id: string; received_at: number; message: string }
  >;
  private readonly now: () => number;
  private waiting: Waiting[] = [];
  private flushScheduled = false;
  private lastPrune = 0;
  /** Where a batch of pushes is written; undefined until the first batch, or once it failed. */
  private writer: JournalWriter | undefined;
  /** A batch is with the writer: the next gathers until it is back. */
  private writing = false;

  /** One connection per file per process, like the token store. */
  static open(dbPath: string, options: { now?: () => number } = {}): PushJournal {
    const path = resolve(dbPath);
    let journal = PushJournal.openJournals.get(path);
    if (!journal) {
      journal = new PushJournal(path, options.now ?? Date.now);
      PushJournal.openJournals.set(path, journal);
    }
    return journal;
  }

  private constructor(path: string, now: () => number) {
    this.path = path;
    this.now = now;
    // The token store creates the folder and file with their private modes and turns WAL on.
    TokenStore.open(path);
    try {
      this.db = openDatabase(path, { timeout: BUSY_TIMEOUT_MS });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
    } catch (error) {
      throw journalError('open', path, error);
    }
    this.insert = this.db.prepare(
      'INSERT OR IGNORE INTO aqara_push_journal (config_id, msg_id, received_at, message) VALUES (?, ?, ?, ?)',
    );
    this.marksPath = `${path}.push-emitted`;
    this.markOne = this.db.prepare(
      'UPDATE aqara_push_journal SET emitted_at = ? WHERE config_id = ? AND msg_id = ? AND emitted_at IS NULL',
    );
    this.selectPending = this.db.prepare(
      'SELECT msg_id, received_at, message FROM aqara_push_journal WHERE config_id = ? AND emitted_at IS NULL ORDER BY received_at, rowid',
    );
    // What a process killed since its last fold had marked.
    this.foldMarks();
  }

  /** Writes now (one fsync); 'seen' when this msgId of this config is already in the window. */
  record(configId: string, msgId: string, message: unknown): RecordOutcome {
    const [outcome] = this.writeBatch([{ configId, msgId, message: JSON.stringify(message) }]);
    return outcome;
  }

  /**
   * The same, but every push arriving in the same turn of the event loop (or while the previous
   * batch is being written) shares one transaction and one fsync, written on the journal's own
   * thread (journal-writer.ts) so the fsync does not hold up Node-RED. Resolves once the write is
   * durable: only then may the push be acknowledged.
   */
  recordSoon(configId: string, msgId: string, message: unknown): Promise<RecordOutcome> {
    return new Promise((resolvePromise, reject) => {
      this.waiting.push({
        configId,
        msgId,
        message: JSON.stringify(message),
        resolve: resolvePromise,
        reject,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Marks pushes as received by the flows' next nodes (or as having none): durable against a kill. */
  markEmitted(configId: string, msgIds: readonly string[]): void {
    if (msgIds.length === 0) return;
    const at = this.now();
    let lines = '';
    for (const msgId of msgIds) lines += `${JSON.stringify([configId, msgId, at])}\n`;
    try {
      this.marksFd ??= this.openMarks();
      writeSync(this.marksFd, lines);
      this.marksWritten = true;
    } catch (error) {
      throw journalError('mark pushes as emitted', this.path, error);
    }
    for (const msgId of msgIds) this.unfolded.add(markKey(configId, msgId));
    // Folding costs a transaction and an fsync: once per this many marks, not per read.
    if (this.unfolded.size >= FOLD_EVERY) this.foldMarks();
  }

  /** Private like the database, and never through a link (the token store refuses those too). */
  private openMarks(): number {
    return openSync(
      this.marksPath,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
      0o600,
    );
  }

  /** The marks file into the table, in one transaction, then emptied (a kill in between: folded again). */
  private foldMarks(): void {
    if (!this.marksWritten) return;
    let text: string;
    try {
      text = readFileSync(this.marksPath, 'utf8');
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw journalError('read marks', this.path, error);
      text = '';
    }
    const marks: [string, string, number][] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const mark = JSON.parse(line) as unknown;
        if (
          Array.isArray(mark) &&
          typeof mark[0] === 'string' &&
          typeof mark[1] === 'string' &&
          typeof mark[2] === 'number'
        )
          marks.push([mark[0], mark[1], mark[2]]);
      } catch {
        // A line cut short by a full disk: that push is emitted again, never lost.
      }
    }
    try {
      if (marks.length > 0)
        this.db.transaction(() => {
          for (const [configId, msgId, at] of marks) this.markOne.run(at, configId, msgId);
        })();
      if (text !== '') {
        this.marksFd ??= this.openMarks();
        ftruncateSync(this.marksFd);
      }
      this.marksWritten = false;
      this.unfolded.clear();
    } catch (error) {
      throw journalError('mark pushes as emitted', this.path, error);
    }
  }

  /** Acknowledged but never emitted, oldest first. */
  pending(configId: string): PendingPush[] {
    try {
      const out: PendingPush[] = [];
      for (const row of this.selectPending.all(configId)) {
        if (this.unfolded.has(markKey(configId, row.msg_id))) continue;
        out.push({
          msgId: row.msg_id,
          receivedAt: row.received_at,
          message: JSON.parse(row.message) as unknown,
        });
      }
      return out;
    } catch (error) {
      throw journalError('read pending pushes', this.path, error);
    }
  }

  /** Emitted pushes older than the dedupe window go; unemitted ones only after a week. */
  prune(now = this.now()): number {
    this.foldMarks();
    try {
      const result = this.db
        .prepare(
          `DELETE FROM aqara_push_journal
           WHERE (emitted_at IS NOT NULL AND received_at < ?) OR received_at < ?`,
        )
        .run(now - DEDUPE_WINDOW_MS, now - UNEMITTED_KEEP_MS);
      this.lastPrune = now;
      return result.changes;
    } catch (error) {
      throw journalError('prune old pushes', this.path, error);
    }
  }

  /** A removed config's pushes are of no use to anybody. */
  forget(configId: string): void {
    try {
      this.db.prepare('DELETE FROM aqara_push_journal WHERE config_id = ?').run(configId);
    } catch (error) {
      throw journalError('forget pushes', this.path, error);
    }
  }

  /** Rows of a config, for tests and status: how many are in the window. */
  count(configId: string): number {
    this.foldMarks();
    const row = this.db
      .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM aqara_push_journal WHERE config_id = ?')
      .get(configId);
    return row?.n ?? 0;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.writing) return;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const writer = this.writerFor();
    if (!writer) return this.flushHere(batch);
    const now = this.now();
    try {
      if (now - this.lastPrune >= PRUNE_EVERY_MS) this.prune(now);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    this.writing = true;
    writer
      .write(
        batch.map((entry) => [entry.configId, entry.msgId, entry.message]),
        now,
      )
      .then(
        (fresh) => batch.forEach((entry, index) => entry.resolve(fresh[index] ? 'new' : 'seen')),
        (error: unknown) => {
          const failure = journalError('write a push', this.path, error);
          for (const entry of batch) entry.reject(failure);
        },
      )
      .finally(() => {
        this.writing = false;
        if (this.waiting.length > 0) this.flush();
      });
  }

  /** The writer thread, started at the first batch; none once it failed (then this thread writes). */
  private writerFor(): JournalWriter | undefined {
    if (this.writer?.broken) return undefined;
    try {
      this.writer ??= new JournalWriter(this.path, BUSY_TIMEOUT_MS);
      return this.writer;
    } catch {
      return undefined;
    }
  }

  private flushHere(batch: Waiting[]): void {
    let outcomes: RecordOutcome[];
    try {
      outcomes = this.writeBatch(batch);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, index) => entry.resolve(outcomes[index]));
  }

  private writeBatch(
    entries: readonly { configId: string; msgId: string; message: string }[],
  ): RecordOutcome[] {
    const now = this.now();
    if (now - this.lastPrune >= PRUNE_EVERY_MS) this.prune(now);
    try {
      return this.db.transaction(() =>
        entries.map((entry): RecordOutcome =>
          this.insert.run(entry.configId, entry.msgId, now, entry.message).changes === 1 ? 'new' : 'seen',
        ),
      )();
    } catch (error) {
      throw journalError('write a push', this.path, error);
    }
  }
}

function markKey(configId: string, msgId: string): string {
  return `${configId}\u0000${msgId}`;
}

function journalError(action: string, path: string, error: unknown): TokenStoreError {
  const code = (error as { code?: unknown }).code;
  const reason =
    error instanceof Error ? `${typeof code === 'string' ? code : error.name}: ${error.message}` : 'unknown';
  return new TokenStoreError(`push journal ${path}: cannot ${action} (${reason})`, code === 'SQLITE_BUSY');
}
