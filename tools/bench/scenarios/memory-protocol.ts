/** The messages between the memory scenario and its child process (over the fork IPC channel). */

export interface MemoryJob {
  side: 'ours' | 'baseline';
  baseUrl: string;
  appId: string;
  keyId: string;
  appKey: string;
  sceneId: string;
  /** ours: stored in the child's token database before the first run. */
  refreshToken: string;
  /** baseline: fetched by the parent beforehand. */
  accessToken: string;
  dbPath: string;
  lowRuns: number;
  highRuns: number;
  /** Scene runs in flight at once: keeps 100,000 runs within a few seconds without changing what is kept. */
  window: number;
}

export interface HeapReading {
  heapUsed: number;
  external: number;
  rss: number;
}

export type MemoryAnswer =
  { ok: true; afterLow: HeapReading; afterHigh: HeapReading; ms: number } | { ok: false; error: string };
