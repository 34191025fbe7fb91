// The Redis store on a real redis-server this file starts, with AOF (fsync always) so that
// acknowledged writes survive the crash in the restart case.
import { Redis } from 'ioredis'
import { redisGrantStore } from '../../src/stores/redis.js'
import { redisClient, startRedisServer } from '../support/redis-server.js'
import { freePort } from '../support/server-process.js'
import { describeGrantStore } from './conformance.js'

describeGrantStore(
  'redisGrantStore',
  async () => {
    const server = await startRedisServer({ appendonly: true })
    const redis = redisClient(server)
    const store = redisGrantStore({ redis, timeout: 3000 })
    return {
      store,
      server: { crash: () => server.kill(), start: () => server.start() },
      corrupt: async (key) => {
        await redis.hset(`ecis:grant:${key}`, 'grant', '{not json', 'version', '1', 'status', 'active')
      },
      unreachable: async () => {
        const dead = new Redis(await freePort(), '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 100 })
        dead.on('error', () => {})
        return { store: redisGrantStore({ redis: dead }), close: async () => dead.disconnect() }
      },
      close: async () => {
        redis.disconnect()
        await server.close()
      },
    }
  },
  { restart: true, corrupt: true, unreachable: true },
)
