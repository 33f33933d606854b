/**
 * Every node type this package registers. Each has src/nodes/<type>.ts (its runtime glue) and, under
 * nodes/, its entry file, editor .html, icon and locales; package.json's `node-red.nodes` lists the
 * entry files. The tests, the i18n check and the check of package.json read this list, so a new node
 * is added here first and the tests say what else it needs.
 */
export const NODE_TYPES = [
  'aqara-config',
  'aqara-scene',
  'aqara-token-status',
  'aqara-device-get',
  'aqara-device-out',
  'aqara-device-in',
] as const;

export type NodeType = (typeof NODE_TYPES)[number];

/** The nodes placed in flows: every type but the config node. */
export const FLOW_NODE_TYPES: readonly NodeType[] = NODE_TYPES.filter((type) => type !== 'aqara-config');
