/**
 * What the data plane owes a provider's connection and the caller's deadline: a response not
 * read to its end is cancelled (its connection released), an error body is read within the
 * attempt's deadline and only up to 64 KiB.
 */
import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciHttpError, EciNetworkError, ErrorCode } from '../../src/index.js'
import { ACCESS_TOKEN } from '../support/eci-endpoint.js'
import { type Behaviour, type HostileServer, startHostileServer } from '../support/hostile-server.js'
import { expectNoSecret, hostileClient } from './support.js'

let server: HostileServer
beforeAll(async () => {
  server = await startHostileServer()
})
afterAll(() => server.close())

/** Responses the provider is still writing, and chunks written. */
function writer(status: number, everyMs: number) {
  const open = new Set<ServerResponse>()
  let chunks = 0
  const behaviour: Behaviour = (_req, res) => {
    open.add(res)
    res.writeHead(status, { 'content-type': 'application/json' })
    res.write('{"error":"')
    const timer = setInterval(() => {
      chunks++
      res.write('x'.repeat(64))
    }, everyMs)
    res.on('close', () => {
      clearInterval(timer)
      open.delete(res)
    })
  }
  return { behaviour, open: () => open.size, chunks: () => chunks }
}

/** Polls `condition` until it holds or `ms` pass; returns whether it held. */
async function eventually(condition: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (condition()) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return condition()
}

describe('an abandoned response releases its connection', () => {
  it('five calls that time out on a body that never ends leave no response open', async () => {
    const endless = writer(200, 10)
    server.on('/eci', endless.behaviour)
    const client = await hostileClient(server, 300)
    const errors = await Promise.all(
      Array.from({ length: 5 }, () => client.basic('0018-102', { timeout: 300 }).catch((e: unknown) => e)),
    )
    for (const error of errors) {
      expect(error).toBeInstanceOf(EciNetworkError)
      expect((error as EciNetworkError).code).toBe(ErrorCode.TIMEOUT)
      expectNoSecret(error, [ACCESS_TOKEN])
    }
    expect(await eventually(() => endless.open() === 0)).toBe(true)
    const written = endless.chunks()
    await new Promise((r) => setTimeout(r, 200))
    expect(endless.chunks()).toBe(written)
  })
})

describe('an error body is read within the attempt and bounded', () => {
  it('a 503 whose body trickles ends as the attempt timing out (ERR_ECI_TIMEOUT), not after it', async () => {
    const trickling = writer(503, 50)
    server.on('/eci', trickling.behaviour)
    const client = await hostileClient(server, 500)
    const error = (await client.basic('0018-102', { timeout: 500 }).catch((e: unknown) => e)) as EciNetworkError
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.TIMEOUT)
    expect(await eventually(() => trickling.open() === 0)).toBe(true)
  })

  it('a 64 MiB error body is cut at 64 KiB: the refusal keeps its status and the body is not read to its end', async () => {
    let sent = 0
    server.on('/eci', (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length
        if (sent >= 64 * 1024 * 1024) res.end()
      }
      res.on('drain', pump)
      pump()
    })
    const client = await hostileClient(server, 5000)
    const error = (await client.basic('0018-102', { timeout: 5000 }).catch((e: unknown) => e)) as EciHttpError
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.status).toBe(500)
    expect(sent).toBeLessThan(64 * 1024 * 1024)
  })
})
