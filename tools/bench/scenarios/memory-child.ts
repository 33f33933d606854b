import { performance } from 'node:perf_hooks';
import { BareAqaraPoster } from '../baseline-client';
import { loadCompiledPackage } from '../compiled';
import type { HeapReading, MemoryAnswer, MemoryJob } from './memory-protocol';

/**
 * Runs in its own process (started by memory.ts with --expose-gc) so that the heap it measures holds
 * only the token manager, the client and their dependencies: the simulator, whose own bookkeeping grows
 * with every call, stays in the parent.
 */

async function settledHeap(): Promise<HeapReading> {
  const collect = globalThis.gc;
  if (!collect) throw new Error('memory-child needs --expose-gc');
  // Several rounds, with a turn of the event loop between them, so finalizers and weak references settle.
  for (let i = 0; i < 4; i++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, external: usage.external, rss: usage.rss };
}

/** `count` runs of `task`, `window` at a time. */
async function runMany(count: number, window: number, task: () => Promise<unknown>): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

async function measure(job: MemoryJob): Promise<MemoryAnswer> {
  const closers: (() => void)[] = [];
  let task: () => Promise<unknown>;
  if (job.side === 'ours') {
    const pkg = loadCompiledPackage();
    const store = pkg.TokenStore.open(job.dbPath);
    closers.push(() => store.close());
    const client = new pkg.AqaraClient({
      baseUrl: job.baseUrl,
      appId: job.appId,
      keyId: job.keyId,
      appKey: job.appKey,
    });
    closers.push(() => client.close());
    store.write('bench-memory', job.refreshToken, job.appId);
    const manager = new pkg.TokenManager({ configId: 'bench-memory', appId: job.appId, client, store });
    closers.push(() => manager.close());
    task = () => pkg.runScene(manager, job.sceneId);
  } else {
    const poster = new BareAqaraPoster({
      baseUrl: job.baseUrl,
      appId: job.appId,
      keyId: job.keyId,
      appKey: job.appKey,
    });
    closers.push(() => poster.close());
    task = () => poster.post('config.scene.run', { sceneId: job.sceneId }, job.accessToken);
  }
  try {
    const started = performance.now();
    await runMany(job.lowRuns, job.window, task);
    const afterLow = await settledHeap();
    await runMany(job.highRuns - job.lowRuns, job.window, task);
    const afterHigh = await settledHeap();
    return { ok: true, afterLow, afterHigh, ms: performance.now() - started };
  } finally {
    for (const close of closers.reverse()) close();
  }
}

process.once('message', (job: MemoryJob) => {
  measure(job)
    .catch((error: unknown): MemoryAnswer => ({
      ok: false,
      error: error instanceof Error ? error.message : String(error),
    }))
    .then((answer) => process.send?.(answer, () => process.disconnect()));
});
