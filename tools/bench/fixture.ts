import { join } from 'node:path';
import { AqaraSimulator, DEFAULT_POSITION_ID } from '../../simulator/server';
import type { SimulatorApp } from '../../simulator/server';
import type { TokenManager } from '../../src/lib/tokens/manager';
import type { TokenStore } from '../../src/lib/tokens/store';
import { makeTempDir } from '../../support/temp-dir';
import { BareAqaraPoster } from './baseline-client';
import { loadCompiledPackage, type CompiledPackage } from './compiled';
import { withListenBacklog } from './listen-backlog';

export const BENCH_SCENE_ID = 'AL.900000000000000001';
export const BENCH_SCENE_NAME = 'bench_scene';

/** A token manager with the client it owns; close() releases both (timers and pooled sockets). */
export interface BenchConfig {
  manager: TokenManager;
  close(): void;
}

/** What a config needs of a simulator: where it answers, the app, and a refresh token it issued. */
export interface ConfigTarget {
  baseUrl: string;
  app: { appId: string; keyId: string; appKey: string };
  refreshToken: string;
}

/**
 * A config on a scenario's own simulator, built as the nodes build one: a token database in a temp
 * folder of its own, a client and a token manager holding `target.refreshToken`. close() releases all.
 */
export function standaloneConfig(pkg: CompiledPackage, target: ConfigTarget, configId: string): BenchConfig {
  const temp = makeTempDir(`aqara-${configId}-`);
  const store = pkg.TokenStore.open(join(temp.path, 'tokens.db'));
  const { appId, keyId, appKey } = target.app;
  const client = new pkg.AqaraClient({ baseUrl: target.baseUrl, appId, keyId, appKey });
  store.write(configId, target.refreshToken, appId);
  const manager = new pkg.TokenManager({ configId, appId, client, store });
  return {
    manager,
    close: () => {
      manager.close();
      client.close();
      store.close();
      temp.remove();
    },
  };
}

/**
 * A simulator on 127.0.0.1 with no added delay, a token database in a temp folder and the compiled
 * package: what the in-process scenarios share. Everything it hands out is closed by close().
 */
export class BenchFixture {
  readonly pkg: CompiledPackage = loadCompiledPackage();
  readonly sim = new AqaraSimulator({
    scenes: [{ sceneId: BENCH_SCENE_ID, name: BENCH_SCENE_NAME, positionId: DEFAULT_POSITION_ID }],
  });
  private readonly temp = makeTempDir('aqara-bench-');
  readonly store: TokenStore;
  private readonly open = new Set<{ close(): void }>();
  private configCount = 0;

  private constructor() {
    this.store = this.pkg.TokenStore.open(join(this.temp.path, 'aqara-cloud', 'tokens.db'));
  }

  static async start(): Promise<BenchFixture> {
    const fixture = new BenchFixture();
    try {
      // The cold burst opens 1,000 connections at once: see listen-backlog.ts.
      await withListenBacklog(4096, () => fixture.sim.start());
    } catch (error) {
      await fixture.close();
      throw error;
    }
    return fixture;
  }

  get app(): SimulatorApp {
    return this.sim.apps[0];
  }

  /**
   * A manager built as the nodes build one (no rate limiter), on a config id of its own with a freshly
   * issued refresh token: it holds no access token yet, so its first call refreshes.
   */
  newConfig(): BenchConfig {
    const { appId, keyId, appKey } = this.app;
    const client = new this.pkg.AqaraClient({ baseUrl: this.sim.baseUrl, appId, keyId, appKey });
    this.configCount += 1;
    const configId = `bench-config-${this.configCount}`;
    this.store.write(configId, this.sim.issueRefreshToken(), appId);
    const manager = new this.pkg.TokenManager({ configId, appId, client, store: this.store });
    const config: BenchConfig = {
      manager,
      close: () => {
        this.open.delete(config);
        manager.close();
        client.close();
      },
    };
    this.open.add(config);
    return config;
  }

  /** The hand-written baseline: its own keep-alive pool, closed with the fixture if not before. */
  newPoster(): BareAqaraPoster {
    const { appId, keyId, appKey } = this.app;
    const poster = new BareAqaraPoster({ baseUrl: this.sim.baseUrl, appId, keyId, appKey });
    const handle = {
      close: () => {
        this.open.delete(handle);
        poster.close();
      },
    };
    this.open.add(handle);
    return poster;
  }

  async close(): Promise<void> {
    for (const handle of [...this.open]) handle.close();
    this.store.close();
    await this.sim.stop();
    this.temp.remove();
  }
}
