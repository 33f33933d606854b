import { Worker } from 'node:worker_threads';

/**
 * The push journal's group commit, on a thread of its own. A push may be acknowledged only once
 * it is on disk, and that fsync (synchronous = FULL) takes milliseconds during which better-sqlite3
 * holds the thread that runs it: on Node-RED's thread it stalled every flow and every other request
 * of the burst. Here the main thread only hands over the rows and is told which were new; while one
 * batch is being written the next one gathers, so the batches grow with the load.
 *
 * The worker is a small script passed as text (so it runs the same from src under tsx and from dist)
 * that opens its own connection to the same file; the table exists before it starts.
 */

/** [config id, msg id, message JSON] */
export type JournalRow = [string, string, string];

interface Reply {
  id: number;
  fresh?: boolean[];
  error?: { message: string; code?: string };
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = FULL');
const insert = db.prepare(
  'INSERT OR IGNORE INTO aqara_push_journal (config_id, msg_id, received_at, message) VALUES (?, ?, ?, ?)'
);
const write = db.transaction((rows, now) => rows.map((row) => insert.run(row[0], row[1], now, row[2]).changes === 1));
parentPort.on('message', (batch) => {
  try {
    parentPort.postMessage({ id: batch.id, fresh: write(batch.rows, batch.now) });
  } catch (error) {
    parentPort.postMessage({
      id: batch.id,
      error: { message: String(error && error.message), code: error && typeof error.code === 'string' ? error.code : undefined },
    });
  }
});
`;

/** An error the worker reported, with SQLite's code kept (SQLITE_BUSY tells a retryable one). */
export class JournalWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'JournalWriteError';
  }
}

export class JournalWriter {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly outstanding = new Map<
    number,
    { resolve: (fresh: boolean[]) => void; reject: (error: unknown) => void }
  >();
  private failure: Error | undefined;

  constructor(path: string, busyTimeoutMs: number) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, busyTimeoutMs, sqlite: require.resolve('better-sqlite3') },
    });
    // Idle, it must not keep Node-RED (or a test) running; busy, it must.
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => this.onReply(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`journal writer stopped (exit code ${code})`)));
  }

  /** Whether the worker died: the journal then writes on its own thread. */
  get broken(): boolean {
    return this.failure !== undefined;
  }

  /** Resolves with, for each row, whether it was new; once the transaction is on disk. */
  write(rows: readonly JournalRow[], now: number): Promise<boolean[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.outstanding.set(id, { resolve, reject });
      if (this.outstanding.size === 1) this.worker.ref();
      this.worker.postMessage({ id, rows, now });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }

  private onReply(reply: Reply): void {
    const waiting = this.outstanding.get(reply.id);
    if (!waiting) return;
    this.outstanding.delete(reply.id);
    if (this.outstanding.size === 0) this.worker.unref();
    if (reply.fresh) waiting.resolve(reply.fresh);
    else waiting.reject(new JournalWriteError(reply.error?.message ?? 'unknown', reply.error?.code));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.outstanding.values()) waiting.reject(error);
    this.outstanding.clear();
  }
}
