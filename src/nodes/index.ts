/**
 * Every node type this package registers, by the name its module registers it under. Each has
 * src/nodes/<type>.ts (its runtime glue, nothing else lives in this folder) and, under nodes/, its
 * entry file, editor .html, icon and locales; package.json's `node-red.nodes` lists the entry files.
 * The tests, the i18n check and the check of package.json read this list, so a new node is added
 * here first and the tests say what else it needs. This file imports nothing: the runtime reads it
 * too (the one exception to "the runtime never imports src/nodes", checked by the layout test).
 */
export const NodeTypes = {
  config: 'aqara-config',
  scene: 'aqara-scene',
  tokenStatus: 'aqara-token-status',
  deviceGet: 'aqara-device-get',
  deviceOut: 'aqara-device-out',
  deviceIn: 'aqara-device-in',
  ir: 'aqara-ir',
  automation: 'aqara-automation',
  api: 'aqara-api',
} as const;

export type NodeType = (typeof NodeTypes)[keyof typeof NodeTypes];

export const NODE_TYPES: readonly NodeType[] = Object.values(NodeTypes);

/** The nodes placed in flows: every type but the config node. */
export const FLOW_NODE_TYPES: readonly NodeType[] = NODE_TYPES.filter((type) => type !== NodeTypes.config);
