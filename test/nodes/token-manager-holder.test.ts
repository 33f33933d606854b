import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AqaraSimulator, DEFAULT_APP } from '../../simulator/server';
import { TokenStore } from '../../src/lib/tokens/store';
import { AccountIdentity } from '../../src/runtime/config/account-identity';
import { TokenManagerHolder } from '../../src/runtime/config/token-manager-holder';
import { KEEP_ALIVE_DAYS, RATE_LIMIT } from '../../src/runtime/editor-settings';
import { CaptureLogger } from '../../support/capture-logger';
import { makeTempDir } from '../../support/temp-dir';

/**
 * A config's runtime closes a manager whose config node stopped and did not come back (flows stopped from
 * the editor). Keep-alive or a late call may have started a refresh by then: closing the client under
 * it would lose the refresh token Aqara rotates, since nobody is left to store it.
 */
describe('token manager holder', () => {
  const temp = makeTempDir('aqara-registry-');
  const sim = new AqaraSimulator();
  let baseUrl: string;

  before(async () => {
    baseUrl = await sim.start();
  });
  after(async () => {
    await sim.stop();
    temp.remove();
  });

  it('a manager left without its config node is closed only after its refresh in flight is stored', async () => {
    const dbPath = join(temp.path, 'tokens.db');
    const configId = 'orphan';
    const store = TokenStore.open(dbPath);
    store.write(configId, sim.issueRefreshToken(), DEFAULT_APP.appId);
    const owner = {};
    const holder = new TokenManagerHolder(new AccountIdentity());
    const manager = holder.acquire(
      {
        configId,
        ...DEFAULT_APP,
        baseUrl,
        dbPath,
        keepAliveMaxAgeMs: KEEP_ALIVE_DAYS.fallback * 24 * 3600 * 1000,
        rateLimit: RATE_LIMIT.fallback,
      },
      owner,
      new CaptureLogger(),
    );
    // Flows stopped: the config node went away without being removed. A short grace for the test.
    holder.release(owner, false, 20);
    // Aqara takes its time to answer the refresh that starts now, well past the grace period.
    sim.injectFault({ intent: 'config.auth.refreshToken', fault: { kind: 'delay', ms: 600 } });
    const refresh = manager.getAccessToken();
    await refresh;
    assert.equal(holder.manager, undefined, 'the holder let go of the manager');
    const stored = store.read(configId)?.refreshToken ?? '';
    assert.ok(sim.isRefreshTokenValid(stored), 'the rotated refresh token is in the database');
    assert.equal(sim.callCount('config.auth.refreshToken'), 1);
  });
});
