// The Redis store on a real redis-server this file starts, with AOF (fsync always) so that
// acknowledged writes survive the crash in the restart case.
import { Redis } from 'ioredis'
import { redisGrantStore } from '../../src/stores/redis.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { describeGrantStore } from './conformance.js'

export function storeClient(server: RedisServer): Redis {
  const redis = new Redis(server.port, server.host, {
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 50, 500),
    lazyConnect: false,
  })
  redis.on('error', () => {})
  return redis
}

describeGrantStore('redisGrantStore', async () => {
  const server = await startRedisServer({ appendonly: true })
  const redis = storeClient(server)
  const store = redisGrantStore({ redis, timeout: 3000 })
  return {
    store,
    server: { crash: () => server.kill(), start: () => server.start() },
    corrupt: async (key) => {
      await redis.hset(`ecis:grant:${key}`, 'grant', '{not json', 'version', '1', 'status', 'active')
    },
    close: async () => {
      redis.disconnect()
      await server.close()
    },
  }
})
