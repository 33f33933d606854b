import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { count, outcomeOf, runFastReliability } from '../helpers/reliability-runner';

/**
 * Regression (found by the reliability suite): Node-RED stopped with SIGTERM while a token refresh was
 * in flight exited at once, because the aqara-config node's close handler did not wait for the refresh;
 * Aqara rotated the token after the process was gone and the database kept the dead one. The close
 * handler now waits for the token manager to be idle. Run as the reliability runner's `graceful`
 * scenario at its FAST size (two stops).
 */
describe('graceful stop during a token refresh', () => {
  it(
    'a Node-RED stopped with SIGTERM while a refresh is in flight still stores the rotated token',
    { timeout: 300_000 },
    async () => {
      const run = await runFastReliability(['graceful'], '1127');
      const outcome = outcomeOf(run, 'gracefulStop');
      assert.deepEqual(outcome.violations, []);
      assert.equal(
        count(outcome, 'stopsDuringRefresh'),
        2,
        'both stops came while the refresh was at the simulator',
      );
      assert.equal(
        count(outcome, 'losses'),
        0,
        'the stored refresh token is still accepted by the simulator',
      );
    },
  );
});
