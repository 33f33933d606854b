/**
 * When has Node-RED handed a push to the next node? node.send only queues the message: the runtime
 * delivers it on a later turn (setImmediate), so a push marked emitted right after node.send is lost
 * if the process dies in between. This watches Node-RED's own messaging hooks instead: every
 * `preDeliver` raised while a push is being handed to its listeners names one message clone on its
 * way to one destination node; once `postReceive` has been raised for each of them (the destination's
 * input handler ran, synchronously, in that same turn) the push is delivered.
 *
 * The hooks are registered only while a push hub has listeners or a delivery is outstanding, so a
 * Node-RED without aqara-device-in nodes pays nothing. A hook function never throws (Node-RED would
 * report the error on the sending node) and never halts a message (it returns undefined).
 */

/** RED.hooks as far as used here: the same object in Node-RED 3.1, 4.1 and 5.0. */
export interface MessageHooks {
  add(hookId: string, callback: (event: unknown) => unknown): void;
  remove(hookId: string): void;
}

/** What is needed of the RED object a node module gets. */
export interface HandOverRuntime {
  hooks?: MessageHooks;
  nodes: { getNode(id: string): unknown };
}

/**
 * `delivered`: every destination ran its input handler. `stale`: at least one destination was no
 * longer a live node when the message reached it (closed or replaced by a deploy), so it was not
 * really received. `halted`: a message never arrived within GIVE_UP_MS (another hook stopped it,
 * or a node's receive threw): Node-RED took it as far as it would.
 */
export type HandOverOutcome = 'delivered' | 'stale' | 'halted';

interface Delivery {
  expected: number;
  received: number;
  stale: boolean;
  /** The listeners are still running: more deliveries may be announced. */
  open: boolean;
  startedAt: number;
  settled: boolean;
  onSettled: (outcome: HandOverOutcome) => void;
}

/** One message object on its way; the same object may go to more than one destination. */
interface Carried {
  delivery: Delivery;
  count: number;
}

/** Messages are delivered within a turn or two; this long without a receive means they never will be. */
export const GIVE_UP_MS = 60_000;
const LABEL = 'metronAqaraPushHandOver';
const PRE_DELIVER = `preDeliver.${LABEL}`;
const POST_RECEIVE = `postReceive.${LABEL}`;

let runtime: HandOverRuntime | undefined;
let registeredWith: MessageHooks | undefined;
let retained = 0;
let scope: Delivery | undefined;
const carried = new WeakMap<object, Carried>();
const outstanding = new Set<Delivery>();
let sweepTimer: NodeJS.Timeout | undefined;

/** Called once by the config node module: the RED object pushes are delivered in. */
export function armHandOver(red: HandOverRuntime): void {
  runtime = red;
  if (retained > 0) register();
}

/**
 * A hub got its first listener: the hooks are wanted until the returned function is called (and
 * the deliveries still outstanding then have settled).
 */
export function retainHandOver(): () => void {
  retained += 1;
  register();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    retained -= 1;
    unregisterIfIdle();
  };
}

/**
 * Runs `send` (the listeners) as the hand-over of one push. Returns the outcome when it is known at
 * once (nothing was sent, or the hooks are not there), else 'pending': `onSettled` is called later,
 * exactly once, from the last postReceive or from the give-up sweep.
 */
export function handOver(
  send: () => void,
  onSettled: (outcome: HandOverOutcome) => void,
): HandOverOutcome | 'pending' {
  if (!registeredWith) {
    send();
    return 'delivered';
  }
  const delivery: Delivery = {
    expected: 0,
    received: 0,
    stale: false,
    open: true,
    startedAt: Date.now(),
    settled: false,
    onSettled,
  };
  const outer = scope;
  scope = delivery;
  try {
    send();
  } finally {
    scope = outer;
    delivery.open = false;
  }
  // With runtimeSyncDelivery every receive already happened inside send().
  if (delivery.received >= delivery.expected) {
    delivery.settled = true;
    return delivery.stale ? 'stale' : 'delivered';
  }
  outstanding.add(delivery);
  scheduleSweep();
  return 'pending';
}

/** Tests: whether the hooks are registered now. */
export function handOverActive(): boolean {
  return registeredWith !== undefined;
}

function register(): void {
  const hooks = runtime?.hooks;
  if (registeredWith || !hooks || typeof hooks.add !== 'function') return;
  try {
    hooks.add(PRE_DELIVER, onPreDeliver);
    hooks.add(POST_RECEIVE, onPostReceive);
    registeredWith = hooks;
  } catch {
    // Already registered by another copy of this module, or an older runtime: without the hooks
    // a push is marked emitted when node.send returns, as before.
    removeHooks(hooks);
  }
}

function unregisterIfIdle(): void {
  if (retained > 0 || outstanding.size > 0 || !registeredWith) return;
  removeHooks(registeredWith);
  registeredWith = undefined;
  if (sweepTimer) clearTimeout(sweepTimer);
  sweepTimer = undefined;
}

function removeHooks(hooks: MessageHooks): void {
  for (const id of [PRE_DELIVER, POST_RECEIVE]) {
    try {
      hooks.remove(id);
    } catch {
      // Nothing registered under that id.
    }
  }
}

// Both take exactly one parameter: Node-RED calls a one-argument hook synchronously.
function onPreDeliver(event: unknown): void {
  try {
    const delivery = scope;
    if (!delivery) return;
    const msg = (event as { msg?: unknown } | null)?.msg;
    if (typeof msg !== 'object' || msg === null) return;
    delivery.expected += 1;
    const known = carried.get(msg);
    if (known && known.delivery === delivery) known.count += 1;
    else carried.set(msg, { delivery, count: 1 });
  } catch {
    // Never in the way of a message.
  }
}

function onPostReceive(event: unknown): void {
  try {
    const receive = event as { msg?: unknown; destination?: { id?: unknown; node?: unknown } } | null;
    const msg = receive?.msg;
    if (typeof msg !== 'object' || msg === null) return;
    const known = carried.get(msg);
    if (!known) return;
    const delivery = known.delivery;
    const destination = receive?.destination;
    if (!isLive(destination)) {
      // Closed by a deploy before its turn came: the node that replaced it (same id) gets it, as it
      // would have a moment later; with none, the push stays pending and is sent again.
      const replacement = typeof destination?.id === 'string' ? runtime?.nodes.getNode(destination.id) : null;
      if (isReceiver(replacement)) {
        setImmediate(() => {
          try {
            replacement.receive(msg);
          } catch {
            // Node-RED reports a failing input handler itself.
          }
        });
        return;
      }
      delivery.stale = true;
    }
    known.count -= 1;
    if (known.count <= 0) carried.delete(msg);
    delivery.received += 1;
    if (!delivery.open && delivery.received >= delivery.expected)
      settle(delivery, delivery.stale ? 'stale' : 'delivered');
  } catch {
    // Never in the way of a message.
  }
}

/** A node closed by a deploy still gets the messages queued for it, with no input handler left. */
function isLive(destination: { id?: unknown; node?: unknown } | undefined): boolean {
  if (!destination || typeof destination.id !== 'string' || !runtime) return true;
  return runtime.nodes.getNode(destination.id) === destination.node;
}

function isReceiver(node: unknown): node is { receive(msg: object): void } {
  return (
    typeof node === 'object' && node !== null && typeof (node as { receive?: unknown }).receive === 'function'
  );
}

function settle(delivery: Delivery, outcome: HandOverOutcome): void {
  if (delivery.settled) return;
  delivery.settled = true;
  outstanding.delete(delivery);
  try {
    delivery.onSettled(outcome);
  } finally {
    unregisterIfIdle();
  }
}

function scheduleSweep(): void {
  if (sweepTimer) return;
  sweepTimer = setTimeout(sweep, GIVE_UP_MS);
  sweepTimer.unref();
}

function sweep(): void {
  sweepTimer = undefined;
  const limit = Date.now() - GIVE_UP_MS;
  for (const delivery of [...outstanding]) {
    if (delivery.startedAt <= limit) settle(delivery, 'halted');
  }
  if (outstanding.size > 0) scheduleSweep();
}

/** Tests: forget every outstanding delivery and registration. */
export function resetHandOver(): void {
  outstanding.clear();
  if (registeredWith) removeHooks(registeredWith);
  registeredWith = undefined;
  retained = 0;
  if (sweepTimer) clearTimeout(sweepTimer);
  sweepTimer = undefined;
}
