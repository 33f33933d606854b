/**
 * Shapes shared by the simulator's parts. They live apart from server.ts so that the ledger,
 * the gate and the intent handlers can use them without importing the HTTP layer;
 * server.ts re-exports them as the public API.
 */

export interface SimulatorApp {
  appId: string;
  keyId: string;
  appKey: string;
}

export interface SimulatorScene {
  sceneId: string;
  name: string;
  positionId: string;
}

/** A home (no parent) or a room (parentPositionId = its home's id), as `query.position.info` lists them. */
export interface SimulatorPosition {
  positionId: string;
  positionName: string;
  parentPositionId?: string;
  description?: string;
  /** Milliseconds since the epoch; a fixed past time when left out. */
  createTime?: number;
}

import type { SimulatorDevice, SimulatorResourceDef } from './devices';
import type { SimulatorIrRemote } from './ir-remotes';
import type { SimulatorLinkage } from './linkages';

export type ExpiresInFormat = 'string' | 'number' | 'missing' | 'garbage';

export interface SimulatorOptions {
  apps?: SimulatorApp[];
  scenes?: SimulatorScene[];
  positions?: SimulatorPosition[];
  accessTokenTtlSeconds?: number;
  expiresInFormat?: ExpiresInFormat;
  rotateRefreshToken?: boolean;
  /**
   * Whether a refresh kills at once the access token obtained with the refresh token it used (the
   * previous one of that chain), as Aqara may do (undocumented). Default false: it stays valid until
   * it expires, so several hosts that each refreshed all keep working.
   */
  refreshRevokesAccessToken?: boolean;
  refreshTokenTtlSeconds?: number;
  now?: () => number;
  stateFile?: string;
  host?: string;
  /** The account's devices; default: a hub and children of several models (devices.ts). */
  devices?: SimulatorDevice[];
  /** Resource definitions by model; default: those of the default devices' models. */
  resourceDefinitions?: Record<string, SimulatorResourceDef[]>;
  /** Most resources one query.resource.value may ask for (default 100). */
  resourceBatchLimit?: number;
  /**
   * The infrared side of the account's `virtual.ir.*` devices. Default: a TV remote and an air
   * conditioner (ir-remotes.ts), those of them whose did is among the devices.
   */
  irRemotes?: SimulatorIrRemote[];
  /** The account's automations; default: several on the default home and its rooms (linkages.ts). */
  linkages?: SimulatorLinkage[];
}

export type SimulatorFault =
  | { kind: 'delay'; ms: number }
  /** body defaults to 'text': a proxy's HTML page is the harder case for a client. */
  | { kind: 'http500'; body?: 'text' | 'json' }
  | { kind: 'drop' }
  | { kind: 'dropAfterProcessing' }
  | { kind: 'hang' }
  /** A bare HTTP answer with no Aqara envelope, as a proxy or load balancer in between would send. */
  | { kind: 'httpStatus'; status: number }
  | { kind: 'code'; code: number; message?: string; httpStatus?: number };

export interface FaultRule {
  fault: SimulatorFault;
  intent?: string;
  times?: number;
}

export interface SimulatorCall {
  intent: string;
  at: number;
  accessToken?: string;
  data: unknown;
  /** The Aqara code answered; -1 while pending or when no answer was ever sent (drop, hang). */
  code: number;
}

export interface SimulatorSceneRun {
  sceneId: string;
  at: number;
  appId: string;
}

/** What the gate or an intent handler decided; the server wraps it in Aqara's envelope. */
export interface AqaraAnswer {
  code: number;
  message: string;
  result: unknown;
  /** Aqara's free-text detail; absent is sent as one of the "nothing" spellings real answers use. */
  detail?: string;
  /**
   * Real answers name the detail field `msgDetails` (the documented name) or `messageDetail`;
   * the access-token check uses the latter here, so every client meets both.
   */
  detailField?: 'msgDetails' | 'messageDetail';
}
