/**
 * bullmq, the sync's optional peer, loaded when the sync first needs a queue or a worker rather
 * than when `ecis-consumer/sync` is imported: without it, `schedule()` and `work()` reject with
 * an error that says to install it.
 * @module
 */
import { loadPeer } from '../peer.js'

/** The bullmq module. */
export type BullMQ = typeof import('bullmq')

let bullmq: Promise<BullMQ> | undefined

/** bullmq, loaded once. @throws {EciConfigError} naming the package when it is not installed. */
export function loadBullmq(): Promise<BullMQ> {
  bullmq ??= loadPeer('bullmq', 'ecis-consumer/sync', () => import('bullmq'))
  return bullmq
}
