import { answer } from './codes';
import type { Handler } from './intents';
import { LINKAGE_MODEL, type SimulatorLinkage } from './linkages';
import { readPage } from './paging';
import type { AqaraAnswer } from './types';

/** One `config.linkage.enable` the simulator applied. */
export interface SimulatorLinkageSwitch {
  linkageId: string;
  enable: 0 | 1;
  at: number;
  appId: string;
}

export interface LinkageIntentOptions {
  linkages: readonly SimulatorLinkage[];
  /** What `positionId: ""` stands for: the account's default home. */
  defaultPositionId: string;
  now: () => number;
}

/**
 * Automations: listed per position (paged, `totalCount` as a string, `enable` and `localizd` as
 * integers), read one by one, switched on and off. No intent runs an automation, here or at Aqara.
 */
export class LinkageIntents {
  private readonly linkages = new Map<string, SimulatorLinkage>();
  private switchLog: SimulatorLinkageSwitch[] = [];

  constructor(private readonly options: LinkageIntentOptions) {
    for (const linkage of options.linkages) {
      if (this.linkages.has(linkage.linkageId))
        throw new Error(`linkage ${linkage.linkageId} is listed twice`);
      this.linkages.set(linkage.linkageId, structuredClone(linkage));
    }
  }

  intentHandlers(): ReadonlyMap<string, Handler> {
    return new Map<string, Handler>([
      ['query.linkage.listByPositionId', (_request, data) => this.list(data)],
      ['query.linkage.detail', (_request, data) => this.detail(data)],
      ['config.linkage.enable', (request, data) => this.enable(request.app.appId, data)],
    ]);
  }

  /** Every switch applied, oldest first. */
  get switches(): readonly SimulatorLinkageSwitch[] {
    return this.switchLog;
  }

  clearSwitches(): void {
    this.switchLog = [];
  }

  /** A copy of the linkage as it stands now, or undefined. */
  linkage(linkageId: string): SimulatorLinkage | undefined {
    const linkage = this.linkages.get(linkageId);
    return linkage && structuredClone(linkage);
  }

  private list(data: Record<string, unknown>): AqaraAnswer {
    const asked = data.positionId ?? '';
    if (typeof asked !== 'string') return answer(302, 'params error: positionId must be a string');
    const positionId = asked === '' ? this.options.defaultPositionId : asked;
    const page = readPage(data);
    if (!page) return answer(302, 'params error: pageNum and pageSize must be positive integers');
    const items = [...this.linkages.values()].filter((linkage) => linkage.positionId === positionId);
    const start = (page.pageNum - 1) * page.pageSize;
    return answer(0, undefined, {
      data: items.slice(start, start + page.pageSize).map((linkage) => ({
        linkageId: linkage.linkageId,
        positionId: linkage.positionId,
        model: LINKAGE_MODEL,
        name: linkage.name,
        enable: linkage.enable,
        localizd: linkage.localizd,
      })),
      // A string in this listing, where other listings send a number: a client must take both.
      totalCount: String(items.length),
    });
  }

  private detail(data: Record<string, unknown>): AqaraAnswer {
    const found = this.find(data.linkageId);
    if (!found.ok) return found.answer;
    const linkage = found.linkage;
    return answer(0, undefined, {
      linkageId: linkage.linkageId,
      name: linkage.name,
      positionId: linkage.positionId,
      model: LINKAGE_MODEL,
      enable: linkage.enable,
      localizd: linkage.localizd,
      conditions: { relation: linkage.relation ?? 0, condition: linkage.conditions ?? [] },
      actions: { action: linkage.actions ?? [] },
    });
  }

  private enable(appId: string, data: Record<string, unknown>): AqaraAnswer {
    const found = this.find(data.linkageId);
    if (!found.ok) return found.answer;
    const enable = data.enable;
    // The integer and nothing else: true or "1" is refused, as a typed API refuses them.
    if (enable !== 0 && enable !== 1) return answer(302, 'params error: enable must be the integer 0 or 1');
    found.linkage.enable = enable;
    this.switchLog.push({ linkageId: found.linkage.linkageId, enable, at: this.options.now(), appId });
    return answer(0, undefined, '');
  }

  private find(
    linkageId: unknown,
  ): { ok: true; linkage: SimulatorLinkage } | { ok: false; answer: AqaraAnswer } {
    if (typeof linkageId !== 'string' || linkageId === '')
      return { ok: false, answer: answer(302, 'params error: linkageId is required') };
    const linkage = this.linkages.get(linkageId);
    // No published code names a missing automation (scenes have 716 and 1202): a params error it is.
    if (!linkage)
      return { ok: false, answer: answer(302, `params error: linkage ${linkageId} does not exist`) };
    return { ok: true, linkage };
  }
}
