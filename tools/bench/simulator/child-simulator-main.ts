import { AqaraSimulator } from '../../../simulator/server';
import type { ChildAnswer, ChildRequest } from './child-simulator-protocol';

/**
 * The simulator in a process of its own (forked by child.ts): a scenario whose figure must not
 * include the simulator's work, e.g. building 3,000-device pages, runs it here, on the other core.
 */
let simulator: AqaraSimulator | undefined;

async function handle(request: ChildRequest): Promise<unknown> {
  switch (request.method) {
    case 'start':
      if (simulator) throw new Error('simulator already started');
      simulator = new AqaraSimulator(request.options);
      return { baseUrl: await simulator.start(), apps: simulator.apps };
    case 'issueRefreshToken':
      return started().issueRefreshToken();
    case 'callCount':
      return started().callCount(request.intent);
    case 'injectFault':
      started().injectFault(request.rule);
      return null;
    case 'clearFaults':
      started().clearFaults();
      return null;
    case 'stop':
      await simulator?.stop();
      simulator = undefined;
      // The answer goes out before the channel closes; the process then has nothing left to do.
      setImmediate(() => process.disconnect());
      return null;
  }
}

function started(): AqaraSimulator {
  if (!simulator) throw new Error('simulator not started');
  return simulator;
}

process.on('message', (request: ChildRequest) => {
  handle(request).then(
    (value) => process.send?.({ id: request.id, ok: true, value } satisfies ChildAnswer),
    (error: unknown) =>
      process.send?.({
        id: request.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      } satisfies ChildAnswer),
  );
});
