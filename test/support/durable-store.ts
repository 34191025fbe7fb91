/**
 * A grant store on a real, durable server for the benches: PostgreSQL with fsync on, or Redis
 * with `appendonly yes`, each started on a free port and torn down after `use`.
 */
import type { GrantStore } from '../../src/index.js'
import { postgresGrantStore } from '../../src/stores/postgres.js'
import { redisGrantStore } from '../../src/stores/redis.js'
import { postgresPool, startPostgresServer } from './postgres-server.js'
import { redisClient, startRedisServer } from './redis-server.js'

export async function withDurableStore(
  kind: 'postgres' | 'redis',
  use: (store: GrantStore) => Promise<void>,
): Promise<void> {
  if (kind === 'postgres') {
    const server = await startPostgresServer({ fsync: true })
    const pool = postgresPool(server)
    try {
      const store = postgresGrantStore({ pool })
      await store.migrate()
      await use(store)
    } finally {
      await pool.end()
      await server.close()
    }
    return
  }
  const server = await startRedisServer({ appendonly: true })
  const redis = redisClient(server)
  try {
    await use(redisGrantStore({ redis }))
  } finally {
    redis.disconnect()
    await server.close()
  }
}
