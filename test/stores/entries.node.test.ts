// The built package as users load it: ecis-consumer/postgres and ecis-consumer/redis through
// `exports` (ESM import and CJS require), their errors instances of the core's classes, and
// neither loading its driver itself (pg and ioredis are optional peers the app passes in).
import { readFile } from 'node:fs/promises'
import { builtinModules, createRequire } from 'node:module'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureBuiltPackage, ROOT } from '../examples/package-build.js'
import { freePort } from '../support/server-process.js'

beforeAll(ensureBuiltPackage, 180_000)

describe('ecis-consumer/postgres and ecis-consumer/redis, built', () => {
  it('ESM: their errors are EciErrors of the main entry, down to a real unavailable server', async () => {
    const main = await import('ecis-consumer')
    const { postgresGrantStore } = await import('ecis-consumer/postgres')
    const { redisGrantStore } = await import('ecis-consumer/redis')
    expect(() => postgresGrantStore({} as never)).toThrow(main.EciConfigError)
    expect(() => redisGrantStore({} as never)).toThrow(main.EciConfigError)
    const pg = (await import('pg')).default
    const pool = new pg.Pool({ host: '127.0.0.1', port: await freePort(), connectionTimeoutMillis: 2000 })
    pool.on('error', () => {})
    const error = await postgresGrantStore({ pool })
      .get('customer-1')
      .catch((e: unknown) => e)
    await pool.end()
    expect(error).toBeInstanceOf(main.EciNetworkError)
    expect(error).toBeInstanceOf(main.EciError)
    expect((error as { code: string }).code).toBe(main.ErrorCode.STORE_UNAVAILABLE)
  })

  it('CJS: require() shares the error classes and exports memoryGrantStore', () => {
    const require = createRequire(`${ROOT}/package.json`)
    const main = require('ecis-consumer')
    const { redisGrantStore } = require('ecis-consumer/redis')
    const { postgresGrantStore } = require('ecis-consumer/postgres')
    expect(typeof main.memoryGrantStore).toBe('function')
    expect(() => redisGrantStore({ redis: null })).toThrow(main.EciConfigError)
    expect(() => postgresGrantStore({ pool: null, table: 'x' })).toThrow(main.EciError)
  })

  it.each(['postgres/index.js', 'postgres/index.cjs', 'redis/index.js', 'redis/index.cjs'])(
    'dist/%s loads only its own chunks and Node built-ins (never pg or ioredis)',
    async (file) => {
      const code = await readFile(join(ROOT, 'dist', file), 'utf8')
      const specifiers = [...code.matchAll(/(?:from\s*|require\(\s*|import\(\s*)['"]([^'"]+)['"]/g)].map(
        (m) => m[1] as string,
      )
      expect(specifiers.length).toBeGreaterThan(0)
      const stray = specifiers.filter((s) => !s.startsWith('.') && !builtinModules.includes(s.replace(/^node:/, '')))
      expect(stray).toEqual([])
    },
  )
})
