import { type AqaraError, isAqaraError } from '../errors';
import { isRecord } from '../../is-record';
import type { IntentCaller } from './caller';
import { isNotOpen, UnreadableResources } from './unreadable-resources';

/**
 * Reading many devices' resources for polling: `query.resource.value` takes several subjects in
 * one call, so a poll of 50 devices x 4 resources is 2 calls, not 50. When one batch fails for one
 * device (302 "not open", 602 offline, 612 gateway silent), that batch is asked again subject by
 * subject, and the failing subjects are asked alone from then on, so one dead sensor costs one
 * call per poll instead of spoiling everybody's batch. A 302 means one of the subject's resources is
 * not readable: its resources are then asked one at a time, once, and the unreadable ones are left
 * out of every later read (and reported, so the user learns why they never change).
 */

export interface PollTarget {
  subjectId: string;
  resourceIds: readonly string[];
}

export interface PolledValue {
  subjectId: string;
  resourceId: string;
  raw: string;
  /** Aqara's timeStamp (ms), or null when it sent none. */
  time: number | null;
}

export interface PollOutcome {
  values: PolledValue[];
  /** Subjects whose read failed this time, with Aqara's code (0 when none). */
  failed: { subjectId: string; code: number }[];
  /** Resources found unreadable by this read (302 when asked alone): never asked again. */
  unreadable: { subjectId: string; resourceId: string }[];
  calls: number;
}

const RESOURCE_VALUE = 'query.resource.value';

export class ResourcePoller {
  /** Subjects that spoiled a shared batch once: asked on their own from then on. */
  private readonly alone = new Set<string>();

  constructor(
    private readonly caller: IntentCaller,
    private readonly batchLimit = 100,
    /** Shared with the account's device service, so both skip what either learned. */
    readonly unreadable = new UnreadableResources(),
  ) {}

  async read(asked: readonly PollTarget[]): Promise<PollOutcome> {
    const outcome: PollOutcome = { values: [], failed: [], unreadable: [], calls: 0 };
    const targets = asked.map((target) => ({
      subjectId: target.subjectId,
      resourceIds: target.resourceIds.filter((id) => !this.unreadable.has(target.subjectId, id)),
    }));
    const shared = targets.filter(
      (target) => target.resourceIds.length > 0 && !this.alone.has(target.subjectId),
    );
    const solo = targets.filter(
      (target) => target.resourceIds.length > 0 && this.alone.has(target.subjectId),
    );
    for (const batch of this.batches(shared)) {
      try {
        outcome.calls += 1;
        collect(await this.fetch(batch), outcome.values);
      } catch (error) {
        if (!aboutTheDevice(error)) throw error;
        // Which subject spoiled it is not said: ask each on its own and remember the ones that fail.
        for (const target of batch) await this.readAlone(target, outcome, true);
      }
    }
    for (const target of solo) await this.readAlone(target, outcome, false);
    return outcome;
  }

  private async readAlone(target: PollTarget, outcome: PollOutcome, learning: boolean): Promise<void> {
    for (const chunk of this.batches([target])) {
      try {
        outcome.calls += 1;
        collect(await this.fetch(chunk), outcome.values);
        if (!learning) this.alone.delete(target.subjectId);
      } catch (error) {
        if (!aboutTheDevice(error)) throw error;
        if (isNotOpen(error) && (await this.readOneByOne(chunk, outcome))) continue;
        this.alone.add(target.subjectId);
        outcome.failed.push({ subjectId: target.subjectId, code: error.code ?? 0 });
        return;
      }
    }
  }

  /**
   * After a 302: each resource of the chunk on its own, learning which ones Aqara will not read.
   * False when something else failed (the device is then treated as failing, as before).
   */
  private async readOneByOne(chunk: readonly PollTarget[], outcome: PollOutcome): Promise<boolean> {
    for (const { subjectId, resourceIds } of chunk) {
      for (const resourceId of resourceIds) {
        try {
          outcome.calls += 1;
          collect(await this.fetch([{ subjectId, resourceIds: [resourceId] }]), outcome.values);
        } catch (error) {
          if (!isNotOpen(error)) {
            if (!aboutTheDevice(error)) throw error;
            return false;
          }
          this.unreadable.add(subjectId, resourceId);
          outcome.unreadable.push({ subjectId, resourceId });
        }
      }
    }
    return true;
  }

  /** Groups of subjects with at most batchLimit resource ids in all; a big subject is split. */
  private batches(targets: readonly PollTarget[]): PollTarget[][] {
    const out: PollTarget[][] = [];
    let current: PollTarget[] = [];
    let size = 0;
    for (const target of targets) {
      for (let start = 0; start < target.resourceIds.length; start += this.batchLimit) {
        const ids = target.resourceIds.slice(start, start + this.batchLimit);
        if (size + ids.length > this.batchLimit && current.length > 0) {
          out.push(current);
          current = [];
          size = 0;
        }
        current.push({ subjectId: target.subjectId, resourceIds: ids });
        size += ids.length;
      }
    }
    if (current.length > 0) out.push(current);
    return out;
  }

  private async fetch(batch: readonly PollTarget[]): Promise<unknown> {
    const { result } = await this.caller.call<unknown>(RESOURCE_VALUE, {
      resources: batch.map((target) => ({
        subjectId: target.subjectId,
        resourceIds: [...target.resourceIds],
      })),
    });
    return result;
  }
}

/** Aqara's answer about the asked devices; not a token problem, which no other grouping would avoid. */
function aboutTheDevice(error: unknown): error is AqaraError {
  return isAqaraError(error) && error.kind !== 'access_token' && error.kind !== 'refresh_token';
}

function collect(result: unknown, into: PolledValue[]): void {
  if (!Array.isArray(result)) return;
  for (const item of result) {
    if (!isRecord(item)) continue;
    const subjectId = typeof item.subjectId === 'string' ? item.subjectId : '';
    const resourceId = typeof item.resourceId === 'string' ? item.resourceId : '';
    if (subjectId === '' || resourceId === '' || item.value === undefined || item.value === null) continue;
    const time = Number(item.timeStamp ?? item.time);
    const raw = typeof item.value === 'string' ? item.value : JSON.stringify(item.value);
    into.push({ subjectId, resourceId, raw, time: Number.isFinite(time) && time > 0 ? time : null });
  }
}
