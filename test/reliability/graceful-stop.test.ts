import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runGracefulStopScenario } from '../../reliability/scenarios/graceful-stop';

/**
 * FAILING until fixed (bug found by the reliability suite): Node-RED stopped with SIGTERM while a token
 * refresh is in flight exits at once; the aqara-config node's close handler does not wait for the
 * refresh, so Aqara rotates the token after the process is gone and the database keeps the dead one.
 * The user must paste a new refresh token after an ordinary restart.
 */
describe('graceful stop during a token refresh', () => {
  it(
    'a Node-RED stopped with SIGTERM while a refresh is in flight still stores the rotated token',
    { timeout: 120_000 },
    async () => {
      const outcome = await runGracefulStopScenario({ stops: 2, seed: 1127 });
      assert.equal(
        outcome.figures.stopsDuringRefresh,
        2,
        'both stops came while the refresh was at the simulator',
      );
      assert.equal(outcome.figures.losses, 0, 'the stored refresh token is still accepted by the simulator');
    },
  );
});
