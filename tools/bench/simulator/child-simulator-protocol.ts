import type { FaultRule, SimulatorOptions } from '../../../simulator/server';

/**
 * What the bench and a simulator child say to each other over the IPC channel. Options travel as
 * plain data (the channel's structured clone, so `times: Infinity` survives), so everything but `now` (a function) can be set from the bench.
 */
export type ChildSimulatorOptions = Omit<SimulatorOptions, 'now'>;

export type ChildRequest =
  | { id: number; method: 'start'; options: ChildSimulatorOptions }
  | { id: number; method: 'issueRefreshToken' }
  | { id: number; method: 'callCount'; intent: string }
  | { id: number; method: 'injectFault'; rule: FaultRule }
  | { id: number; method: 'clearFaults' }
  | { id: number; method: 'stop' };

export type ChildAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
