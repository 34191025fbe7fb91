/** `ecis green-button consent` through the loopback redirect, then `bills|usage|audit` with the stored grant. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { startGreenButtonProviderServer } from '../../src/mock/node/index.js'
import { memoryIo } from './support.js'

const SCOPE = 'FB=1_3_4_5_13_14_39;IntervalDuration=3600;BlockDuration=monthly;HistoryLength=13'
const SECRET = 'cli-gb-secret-value'
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'ecis-gb-cli-'))
  const port = await freePort()
  const server = await startGreenButtonProviderServer({
    clients: [{ clientId: 'acme-solar', clientSecret: SECRET, redirectUris: [`http://127.0.0.1:${port}/callback`] }],
    feed: { months: 3 },
  })
  cleanups.push(async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  })
  const secretFile = join(dir, 'secret.txt')
  await writeFile(secretFile, `${SECRET}\n`, { mode: 0o600 })
  const e = server.custodian.endpoints
  const args = [
    ...['green-button', 'consent', '--authorization-endpoint', e.authorizationEndpoint],
    ...['--token-endpoint', e.tokenEndpoint, '--resource-endpoint', e.resourceEndpoint],
    ...['--client-id', 'acme-solar', '--scope', SCOPE, '--allow-insecure', '--no-open', '--port', String(port)],
  ]
  return { dir, server, args, secretFile, grantFile: join(dir, 'cfg', 'gb-grant.json') }
}

describe('ecis green-button consent', () => {
  it('stores the grant 0600 without the secret, and bills/audit read the subscription with it', async () => {
    const w = await setup()
    const m = memoryIo({ ECIS_GREEN_BUTTON_GRANT_FILE: w.grantFile })
    const done = main([...w.args, '--secret-file', w.secretFile], m.io)
    const url = (await m.waitFor(/^ {2}(http\S+)$/m))[1] as string
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') as string
    const page = await fetch(location)
    expect(await page.text()).toContain('Consent received')
    expect(await done).toBe(0)
    const grant = JSON.parse(await readFile(w.grantFile, 'utf8'))
    expect(grant.resourceUri).toBe(`${w.server.custodian.endpoints.resourceEndpoint}/Batch/Subscription/1`)
    expect((await stat(w.grantFile)).mode & 0o777).toBe(0o600)
    const config = await readFile(join(w.dir, 'cfg', 'gb-grant.config.json'), 'utf8')
    expect(config).not.toContain(SECRET)
    expect(m.stdout + m.stderr).not.toContain(grant.accessToken)

    const bills = memoryIo({ ECIS_GREEN_BUTTON_GRANT_FILE: w.grantFile })
    expect(await main(['green-button', 'bills', '--json'], bills.io)).toBe(0)
    // Two usage points, two published months.
    expect(JSON.parse(bills.stdout)).toHaveLength(4)
    const audit = memoryIo({ ECIS_GREEN_BUTTON_GRANT_FILE: w.grantFile })
    expect(await main(['green-button', 'audit'], audit.io)).toBe(0)
    expect(audit.stdout).toContain('every figure adds up')
  })

  it('writes the rotated grant back after a refresh, and takes the secret from the environment', async () => {
    const w = await setup()
    const env = { ECIS_GREEN_BUTTON_GRANT_FILE: w.grantFile, ECIS_CLIENT_SECRET: SECRET }
    const m = memoryIo(env)
    const done = main(w.args, m.io)
    const url = (await m.waitFor(/^ {2}(http\S+)$/m))[1] as string
    await fetch((await fetch(url, { redirect: 'manual' })).headers.get('location') as string)
    expect(await done).toBe(0)
    const grant = JSON.parse(await readFile(w.grantFile, 'utf8'))
    await writeFile(w.grantFile, JSON.stringify({ ...grant, expiresAt: 1, issuedAt: 0 }), { mode: 0o600 })
    const usage = memoryIo(env)
    expect(await main(['green-button', 'usage', '--by', 'month', '--json'], usage.io)).toBe(0)
    const after = JSON.parse(await readFile(w.grantFile, 'utf8'))
    expect(after.refreshToken).not.toBe(grant.refreshToken)
    expect(usage.stdout + usage.stderr).not.toContain(after.accessToken)
  })

  it('says how to get a secret when there is none', async () => {
    const w = await setup()
    const m = memoryIo({ ECIS_GREEN_BUTTON_GRANT_FILE: w.grantFile })
    expect(await main(w.args, m.io)).not.toBe(0)
    expect(m.stderr).toMatch(/--secret-file FILE or set ECIS_CLIENT_SECRET/)
  })
})

describe('ecis mock --green-button', () => {
  it('serves the Data Custodian until stopped: a client_credentials token reads its ApplicationInformation', async () => {
    const m = memoryIo()
    const done = main(['mock', '--green-button', '--port', '0', '--client-secret', 's'], m.io)
    const token = (await m.waitFor(/token\s+(http\S+)/))[1] as string
    const resource = (await m.waitFor(/resource\s+(http\S+)/))[1] as string
    const answer = await fetch(token, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa('acme-solar:s')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=FB%3D36_40',
    })
    const { access_token } = (await answer.json()) as { access_token: string }
    const info = await fetch(`${resource}/ApplicationInformation/acme-solar`, {
      headers: { authorization: `Bearer ${access_token}` },
    })
    const { applicationInformationFromXml } = await import('../../src/green-button/index.js')
    expect(applicationInformationFromXml(await info.text())).toMatchObject({
      clientId: 'acme-solar',
      authorizationServerTokenEndpoint: token,
      dataCustodianResourceEndpoint: resource,
      scopes: [SCOPE],
    })
    m.stop()
    expect(await done).toBe(0)
  })
})
