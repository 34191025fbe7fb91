/**
 * A sync worker: run as many as you like, on as many machines (each takes jobs from every
 * provider's queue; the providers' rate limits hold across all of them). Stops gracefully on
 * SIGTERM/SIGINT: active grants finish, the rest waits in Redis for the other workers.
 *
 *   DATABASE_URL=… REDIS_URL=… ECIS_PROVIDERS='[…]' node examples/fleet-sync/worker.ts
 */
import { openFleet } from './fleet.ts'

/** Starts this process's workers; resolves a function that stops them. */
export async function startWorker(env: Record<string, string | undefined> = process.env): Promise<() => Promise<void>> {
  const fleet = await openFleet(env, {
    onNeedsConsent: (key, code) => console.log(JSON.stringify({ needsConsent: key, code })),
  })
  const worker = await fleet.sync.work()
  return async () => {
    await worker.close()
    await fleet.close()
  }
}

if (import.meta.main) {
  const stop = await startWorker()
  console.log(JSON.stringify({ ready: true, pid: process.pid }))
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, async () => {
      await stop()
      process.exit(0)
    })
  }
}
