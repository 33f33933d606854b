import net from 'node:net';

/**
 * Runs `start` with every server it begins listening given a larger accept backlog.
 *
 * Why: the simulator listens with Node's default backlog of 511. A burst of 1,000 new connections
 * overflows that queue; Linux then drops the handshakes it cannot queue and the clients retry after
 * its 1-second SYN timer, so a burst measured ~0.2 s of work plus ~1 s of kernel timer, the same for
 * both sides, and the ratio said little about either (`nstat` showed thousands of ListenOverflows).
 * The simulator has no backlog option, so the bench raises it here, for the simulator it starts only.
 */
export async function withListenBacklog<T>(backlog: number, start: () => Promise<T>): Promise<T> {
  const original = net.Server.prototype.listen;
  // listen() is overloaded many ways; only the options-object form (the one the simulator uses) is touched.
  const patched = function (this: net.Server, ...args: unknown[]): net.Server {
    const [first] = args;
    if (typeof first === 'object' && first !== null && !('backlog' in first)) args[0] = { ...first, backlog };
    return (original as (...rest: unknown[]) => net.Server).apply(this, args);
  };
  net.Server.prototype.listen = patched as typeof original;
  try {
    return await start();
  } finally {
    net.Server.prototype.listen = original;
  }
}
