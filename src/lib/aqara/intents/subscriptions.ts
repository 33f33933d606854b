import type { IntentCaller } from './caller';

/** Aqara's push subscriptions: which resources Aqara reports to this app's push URL. */
export interface ResourceSubscription {
  subjectId: string;
  resourceIds: string[];
  attach?: string;
}

/** Aqara does not publish a limit per subscribe call; 100 subjects matches its other list limits. */
const SUBSCRIBE_BATCH = 100;

export async function subscribeResources(
  caller: IntentCaller,
  resources: readonly ResourceSubscription[],
): Promise<void> {
  for (const batch of batches(resources))
    await caller.call('config.resource.subscribe', { resources: batch });
}

export async function unsubscribeResources(
  caller: IntentCaller,
  resources: readonly ResourceSubscription[],
): Promise<void> {
  for (const batch of batches(resources))
    await caller.call('config.resource.unsubscribe', { resources: batch });
}

function batches(resources: readonly ResourceSubscription[]): ResourceSubscription[][] {
  const list = resources.filter((entry) => entry.resourceIds.length > 0);
  const out: ResourceSubscription[][] = [];
  for (let start = 0; start < list.length; start += SUBSCRIBE_BATCH)
    out.push(list.slice(start, start + SUBSCRIBE_BATCH));
  return out;
}
