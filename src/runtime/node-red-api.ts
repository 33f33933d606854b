/**
 * The few parts of Node-RED's runtime API these nodes use, written by hand: @types/node-red pulls in
 * express, passport and more for a handful of members, and pins us to its view of Node-RED 1.x.
 * Only what is called is declared; anything Node-RED adds later simply isn't visible here.
 */

/** A message travelling through a flow. Node-RED messages are open-ended objects. */
export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type SendFunction = (msg: NodeMessage | Array<NodeMessage | null>) => void;
export type DoneFunction = (err?: Error) => void;

/** The properties every node's definition (its entry in flows.json) carries. */
export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
}

/** A live node instance, as built by RED.nodes.createNode(this, def). */
export interface Node {
  readonly id: string;
  readonly type: string;
  name?: string;
  z?: string;
  /** Decrypted credentials of this node, declared in registerType's `credentials`. */
  credentials?: Record<string, string | undefined>;

  on(event: 'input', listener: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): this;
  /** Node-RED passes `removed` only when the listener declares two parameters. */
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): this;

  status(status: NodeStatus): void;
  send(msg: NodeMessage | Array<NodeMessage | null>): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string | Error, msg?: NodeMessage): void;
  debug(message: string): void;
}

export interface CredentialsDefinition {
  [name: string]: { type: 'text' | 'password' };
}

/** registerType's `settings`: runtime values the editor reads as RED.settings.<name> when exportable. */
export interface NodeSettings {
  [name: string]: { value: unknown; exportable?: boolean };
}

/** Translates a key of the calling module's message catalog (RED._). */
export type Translate = (key: string, substitutions?: Record<string, string | number>) => string;

/**
 * The node constructor Node-RED calls with `new`; `this` is the fresh node object.
 * Generic so each node module types its own `this` and definition.
 */
export type NodeConstructor<TNode extends Node, TDef extends NodeDef> = (this: TNode, def: TDef) => void;

/** Just enough of express's request for the admin routes. */
export interface AdminRequest {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  /** Whatever Node-RED's body parser made of the body: an object, an array, a primitive or nothing. */
  body?: unknown;
}

export interface AdminResponse {
  status(code: number): AdminResponse;
  set(field: string, value: string): AdminResponse;
  json(body: unknown): void;
  /** Set once the response has been sent, e.g. by another handler. */
  readonly headersSent: boolean;
}

export type AdminNext = (err?: unknown) => void;
export type AdminHandler = (req: AdminRequest, res: AdminResponse, next: AdminNext) => void;
export type AdminErrorHandler = (
  err: unknown,
  req: AdminRequest,
  res: AdminResponse,
  next: AdminNext,
) => void;

/** RED.httpAdmin: the express app behind Node-RED's admin API. */
export interface AdminApp {
  get(path: string, ...handlers: AdminHandler[]): void;
  post(path: string, ...handlers: AdminHandler[]): void;
  use(path: string, handler: AdminHandler | AdminErrorHandler): void;
  /** The app this one is mounted in (set by express on mount), if any. */
  readonly parent?: AdminApp;
}

/**
 * Node-RED's runtime events (RED.events). Present in every Node-RED since 1.0, and this package needs
 * 3.1 or newer, so it is required here. Only the events these nodes listen to are declared.
 */
export interface RuntimeEvents {
  /** Emitted once a deploy (or start-up) has started every node of the new flows. */
  once(event: 'flows:started', listener: () => void): void;
  off(event: 'flows:started', listener: () => void): void;
  /**
   * Emitted just before nodes are closed, with `{config, type, diff}`; left `unknown` because its
   * shape is Node-RED's internal business and is checked where it is read (stop-reason.ts).
   */
  on(event: 'flows:stopping', listener: (event: unknown) => void): void;
  /** Emitted once every node of that stop has closed. */
  on(event: 'flows:stopped', listener: () => void): void;
}

/** The object Node-RED hands each node module: `module.exports = function (RED) {...}`. */
export interface NodeAPI {
  nodes: {
    createNode(node: Node, def: NodeDef): void;
    registerType<TNode extends Node, TDef extends NodeDef>(
      type: string,
      constructor: NodeConstructor<TNode, TDef>,
      options?: { credentials?: CredentialsDefinition; settings?: NodeSettings },
    ): void;
    getNode(id: string): Node | null;
  };
  /**
   * The runtime settings (settings.js). Values are whatever the user wrote there, so each one is
   * checked where it is read.
   */
  settings: { readonly userDir?: unknown; readonly aqaraConfigDbPath?: unknown };
  httpAdmin: AdminApp;
  auth: { needsPermission(permission: string): AdminHandler };
  events: RuntimeEvents;
  log: {
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
    debug(message: string): void;
  };
  /** Translates a key of this node module's message catalog; `__name__` placeholders take `substitutions`. */
  _(key: string, substitutions?: Record<string, string | number>): string;
}
