/**
 * A Data Custodian's notification, turned into jobs: the grants whose subscriptions it names, each
 * scheduled once — not when the grant's job of the nightly run is still waiting (it will read the
 * new data anyway), and never twice in the same run.
 * @internal
 * @module
 */
import type { Queue } from 'bullmq'
import { badOption } from '../resolve.js'
import { subscriptionOf, subscriptionsKey } from './green-button-job.js'
import type { NotifyOptions } from './green-button-types.js'
import type { ResolvedSyncOptions } from './options.js'

/** Job states in which the job has not read the feed yet. */
const WAITING = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children'])

/** The grant keys of the notified URIs (by the sync's record of subscriptions, then `keyOf`). */
export async function notifiedKeys(
  o: ResolvedSyncOptions,
  provider: string,
  resourceUris: readonly string[],
  keyOf: NotifyOptions['keyOf'],
): Promise<{ keys: string[]; unknown: string[] }> {
  if (!Array.isArray(resourceUris) || !resourceUris.every((u) => typeof u === 'string')) {
    throw badOption('`resourceUris` must be an array of URIs (parseBatchList gives them)')
  }
  const subscriptions = [...new Set(resourceUris.map(subscriptionOf))]
  const known =
    subscriptions.length === 0 ? [] : await o.redis.hmget(subscriptionsKey(o.prefix, provider), ...subscriptions)
  const keys = new Set<string>()
  const unknown: string[] = []
  for (const [i, subscription] of subscriptions.entries()) {
    const key = known[i] ?? (await keyOf?.(subscription))
    if (typeof key === 'string' && key.length > 0) keys.add(key)
    else unknown.push(subscription)
  }
  return { keys: [...keys], unknown }
}

/** Whether the job `id` exists and has not started. */
export async function isWaiting(queue: Queue, id: string): Promise<boolean> {
  const job = await queue.getJob(id)
  return job !== undefined && job !== null && WAITING.has(await job.getState())
}
