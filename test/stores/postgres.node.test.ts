// The PostgreSQL store on a real PostgreSQL this file starts (initdb + postgres on loopback).
import pg from 'pg'
import { postgresGrantStore } from '../../src/stores/postgres.js'
import { type PostgresServer, startPostgresServer } from '../support/postgres-server.js'
import { describeGrantStore } from './conformance.js'

export function storePool(server: PostgresServer): pg.Pool {
  const pool = new pg.Pool({
    connectionString: server.connectionString,
    max: 20,
    connectionTimeoutMillis: 2000,
    statement_timeout: 5000,
  })
  // Idle connections error when the server restarts; the next query gets a new one.
  pool.on('error', () => {})
  return pool
}

describeGrantStore('postgresGrantStore', async () => {
  const server = await startPostgresServer()
  const pool = storePool(server)
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
    close: async () => {
      await pool.end()
      await server.close()
    },
  }
})
