import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runGracefulStopScenario } from '../../tools/reliability/scenarios/graceful-stop';

/**
 * Regression (found by the reliability suite): Node-RED stopped with SIGTERM while a token refresh was
 * in flight exited at once, because the aqara-config node's close handler did not wait for the refresh;
 * Aqara rotated the token after the process was gone and the database kept the dead one. The close
 * handler now waits for the token manager to be idle.
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
