/** Flow nodes the tests and tools deploy, written once. */

export interface ConfigFlowOptions {
  baseUrl: string;
  appId: string;
  keyId: string;
  /** Goes in as a credential; left out, the flow carries none (flows.json written by hand). */
  appKey?: string;
  name?: string;
  scenes?: Record<string, string>;
  /** Further properties of the config node (push, pollSeconds, rateLimit, ...). */
  more?: Record<string, unknown>;
}

/** An aqara-config node aimed at a simulator (region custom). */
export function configFlowNode(id: string, options: ConfigFlowOptions): Record<string, unknown> {
  return {
    id,
    type: 'aqara-config',
    // Never the id itself: Node-RED reads a property equal to a config node's id as a dependency on it.
    name: options.name ?? 'aqara',
    region: 'custom',
    baseUrl: options.baseUrl,
    appId: options.appId,
    keyId: options.keyId,
    scenes: options.scenes ?? {},
    ...options.more,
    ...(options.appKey === undefined ? {} : { credentials: { appKey: options.appKey } }),
  };
}
