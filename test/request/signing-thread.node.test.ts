/**
 * The signing thread (src/request/signing-thread.ts): with many calls in flight on Node, EC and
 * Ed25519 request JWTs are signed on one worker thread in batches. Its signatures verify, a
 * batch with a key it cannot use fails only that call's signing (WebCrypto takes over), and it
 * never keeps a process alive.
 */
import { execFile } from 'node:child_process'
import { generateKeyPairSync, verify } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { signingThread } from '../../src/request/signing-thread.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('the signing thread', () => {
  it('signs what one turn of the event loop queued, every signature valid', async () => {
    const thread = signingThread()
    expect(thread).toBeDefined()
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    const ed = generateKeyPairSync('ed25519')
    const inputs = Array.from({ length: 200 }, (_, i) => `eyJhbGciOiJFUzI1NiJ9.${i}`)
    const [ecSigs, edSigs] = await Promise.all([
      Promise.all(inputs.map((input) => thread!.sign(ec.privateKey, 'sha256', input))),
      Promise.all(inputs.map((input) => thread!.sign(ed.privateKey, null, input))),
    ])
    inputs.forEach((input, i) => {
      expect(verify('sha256', Buffer.from(input), ec.publicKey, ecSigs[i]!)).toBe(true)
      expect(verify(null, Buffer.from(input), ed.publicKey, edSigs[i]!)).toBe(true)
      // Each signature belongs to its own input.
      expect(verify('sha256', Buffer.from(inputs[(i + 1) % 200]!), ec.publicKey, ecSigs[i]!)).toBe(false)
    })
  })

  it('a signing failure rejects that signature only', async () => {
    const thread = signingThread()!
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    const [good, bad] = await Promise.allSettled([
      thread.sign(ec.privateKey, 'sha256', 'a.b'),
      thread.sign(ec.publicKey, 'sha256', 'a.b'),
    ])
    expect(good.status).toBe('fulfilled')
    expect(bad.status).toBe('rejected')
    expect(signingThread()).toBe(thread)
  })

  it('never keeps a process alive: a script making 50 concurrent calls exits by itself', async () => {
    const script = `
      import { createServer } from 'node:http'
      import { createEciClient } from ${JSON.stringify(join(ROOT, 'dist/index.js'))}
      const { generateKeyPairSync } = await import('node:crypto')
      const jwk = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'jwk' })
      let signed = 0
      const server = createServer((req, res) => {
        let body = ''
        req.on('data', (c) => (body += c))
        req.on('end', () => {
          if (body.split('.').length === 3) signed++
          const account = JSON.parse(Buffer.from(body.split('.')[1], 'base64url')).system_account_id
          res.writeHead(200, { 'content-type': 'application/json', connection: 'close' })
          res.end(JSON.stringify({ system_account_id: account, account_type: 'electric', rate_code: 'R', next_read_date: '2026-12-15', meter_number: 'M', producer_projects: [], system_invoice_ids: [] }))
        })
      })
      await new Promise((r) => server.listen(0, '127.0.0.1', r))
      const client = createEciClient({ resource: 'http://127.0.0.1:' + server.address().port + '/eci', clientId: 'c', signingKey: jwk, accessToken: 'token-abc', retry: 0 })
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.basic('acct-' + i)))
      server.close()
      console.log(JSON.stringify({ ok: results.length, signed }))
    `
    const { stdout } = await promisify(execFile)(
      join(ROOT, 'node_modules/.bin/node'),
      ['--input-type=module', '-e', script],
      { timeout: 15_000 },
    )
    expect(JSON.parse(stdout)).toEqual({ ok: 50, signed: 50 })
  }, 20_000)
})
