import type { RuntimeEvents } from './node-red-api';

/**
 * Why Node-RED is stopping flows right now: for a deploy (the flows start again at once), or for
 * anything else (Node-RED shutting down, flows stopped from the editor, a project switch).
 *
 * Node-RED emits 'flows:stopping' with `{config, type, diff}` just before it closes the nodes, in
 * 3.1, 4.1 and 5.0 alike (@node-red/runtime lib/flows/index.js, stop()). A deploy passes the diff
 * that flowUtil.diffConfigs computed, and that diff always has a `globalConfigChanged` key. Every
 * other caller, runtime.stop() among them, calls stopFlows() without a diff and stop() fills in a
 * default one without that key. A "reload" deploy (flows re-read from storage) has no diff either, so
 * it counts as "not a deploy": the safe side, see stoppingForDeploy().
 */

interface StopState {
  /** Set by 'flows:stopping', cleared by 'flows:stopped'; undefined outside a stop. */
  current: 'deploy' | 'other' | undefined;
}

/**
 * Keyed by the runtime's event emitter so there is one listener per runtime however often the node
 * module is loaded (the test helper loads it again for every test, on the same emitter).
 */
const states = new WeakMap<RuntimeEvents, StopState>();

function isDeployDiff(event: unknown): boolean {
  if (typeof event !== 'object' || event === null || !Object.hasOwn(event, 'diff')) return false;
  const diff = (event as { diff: unknown }).diff;
  return typeof diff === 'object' && diff !== null && Object.hasOwn(diff, 'globalConfigChanged');
}

/** Starts following the runtime's stops; call it from the node module's function (once is enough). */
export function watchStopReason(events: RuntimeEvents): void {
  if (states.has(events)) return;
  const state: StopState = { current: undefined };
  states.set(events, state);
  events.on('flows:stopping', (event) => {
    state.current = isDeployDiff(event) ? 'deploy' : 'other';
  });
  // Node-RED closes every node between the two events; after it, a close is not part of that stop.
  events.on('flows:stopped', () => {
    state.current = undefined;
  });
}

/**
 * True only while Node-RED stops flows for a deploy. Anything unknown (no event seen, a runtime
 * that words its events differently) is false: a caller that waits when unsure only costs time,
 * one that does not wait could let Node-RED exit in the middle of a token rotation.
 */
export function stoppingForDeploy(events: RuntimeEvents): boolean {
  return states.get(events)?.current === 'deploy';
}
