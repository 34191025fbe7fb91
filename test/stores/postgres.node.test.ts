// The PostgreSQL store on a real PostgreSQL this file starts (initdb + postgres on loopback).
import pg from 'pg'
import { postgresGrantStore } from '../../src/stores/postgres.js'
import { postgresPool, startPostgresServer } from '../support/postgres-server.js'
import { freePort } from '../support/server-process.js'
import { describeGrantStore } from './conformance.js'

describeGrantStore(
  'postgresGrantStore',
  async () => {
    const server = await startPostgresServer()
    const pool = postgresPool(server)
    const store = postgresGrantStore({ pool, timeout: 3000 })
    await store.migrate()
    return {
      store,
      server,
      corrupt: async (key) => {
        await pool.query(
          `INSERT INTO ecis_grants (key, grant_json, version, status) VALUES ($1, '{"issuer": 1}', 1, 'active')`,
          [key],
        )
      },
      unreachable: async () => {
        const dead = new pg.Pool({
          host: '127.0.0.1',
          port: await freePort(),
          user: 'postgres',
          connectionTimeoutMillis: 2000,
        })
        dead.on('error', () => {})
        return { store: postgresGrantStore({ pool: dead }), close: () => dead.end() }
      },
      close: async () => {
        await pool.end()
        await server.close()
      },
    }
  },
  { restart: true, corrupt: true, unreachable: true },
)
