/**
 * The parts of node-red-node-test-helper (plain JavaScript, no typings) that the node tests use.
 * Written by hand, like src/runtime/node-red-api.ts, rather than adding @types packages for sinon and supertest.
 */
declare module 'node-red-node-test-helper' {
  /** A node module as Node-RED loads it: `module.exports = function (RED) {...}`. */
  type NodeModule = (RED: never) => unknown;

  interface FlowNode {
    id: string;
    type: string;
    [key: string]: unknown;
  }

  interface TestResponse {
    status: number;
    headers: Record<string, string>;
    /** Parsed JSON when the answer was JSON, else {}. */
    body: unknown;
    text: string;
  }

  /** supertest's request: chainable, and awaiting it sends the request. */
  interface TestRequest extends PromiseLike<TestResponse> {
    set(field: string, value: string): TestRequest;
    send(body: unknown): TestRequest;
    query(query: Record<string, string | string[]>): TestRequest;
  }

  interface TestAgent {
    get(url: string): TestRequest;
    post(url: string): TestRequest;
  }

  /** One recorded call of a sinon spy. */
  interface SpyCall {
    args: unknown[];
    thisValue: unknown;
  }

  interface Spy {
    getCalls(): SpyCall[];
    readonly args: unknown[][];
  }

  interface TestNode {
    id: string;
    type: string;
    on(event: 'input', listener: (msg: Record<string, unknown>) => void): void;
    receive(msg: Record<string, unknown>): void;
    /** Node.prototype.status, spied on by the helper for every node. */
    status: Spy;
  }

  interface NodeTestHelper {
    init(runtimePath: string, userSettings?: Record<string, unknown>): void;
    settings(userSettings: Record<string, unknown>): Record<string, unknown>;
    load(
      nodes: NodeModule | NodeModule[],
      flow: FlowNode[],
      credentials?: Record<string, Record<string, string>>,
    ): Promise<void>;
    setFlows(
      flow: FlowNode[],
      type: 'full' | 'flows' | 'nodes',
      credentials?: Record<string, Record<string, string>>,
    ): Promise<void>;
    unload(): Promise<void>;
    clearFlows(): Promise<void>;
    getNode(id: string): TestNode | null;
    request(): TestAgent;
    /** The spy on Node-RED's log: every line any node or module logged since load(). */
    log(): Spy;
  }

  const helper: NodeTestHelper;
  export = helper;
}
