/**
 * examples/browser in a real browser: Vite serves index.html + consent.ts (with the example's own
 * vite.config.ts), headless Chromium clicks "Connect", approves on the mock provider's consent
 * page, and the page hands the code to examples/backend/server.ts, then lists the accounts.
 */
import { createServer as createNetServer } from 'node:net'
import { join } from 'node:path'
import { chromium } from 'playwright'
import { createServer as createViteServer, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ensureBuiltPackage, ROOT } from './package-build.js'

type Backend = Awaited<ReturnType<typeof import('../../examples/backend/server.js')['startBackend']>>

let backend: Backend
let vite: ViteDevServer
let pageUrl: string

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

beforeAll(async () => {
  await ensureBuiltPackage()
  const { startBackend } = await import('../../examples/backend/server.js')
  const port = await freePort()
  pageUrl = `http://localhost:${port}/`
  backend = await startBackend({ port: 0, mockConsent: 'interactive', spaRedirectUri: pageUrl })
  vite = await createViteServer({
    configFile: join(ROOT, 'examples/browser/vite.config.ts'),
    logLevel: 'silent',
    server: {
      port,
      proxy: { '/api': backend.url, '/accounts': backend.url, '/invoices': backend.url },
      hmr: false,
    },
  })
  await vite.listen()
}, 180_000)

afterAll(async () => {
  await vite?.close()
  await backend?.close()
})

it('connects through the provider’s consent page and shows the granted accounts', async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  })
  try {
    const page = await browser.newPage()
    await page.goto(pageUrl)
    await page.click('#connect')
    await page.waitForURL((url) => url.href.startsWith(`${backend.issuer}/authorize`))
    await page.getByRole('button', { name: /approve/i }).click()
    await page.waitForFunction(() => document.querySelectorAll('#accounts li').length > 0)

    expect(page.url()).toBe(pageUrl) // the code left the address bar
    const fixtures = backend.mock!.provider.fixtures
    const expected = fixtures.owners[0]!.accounts.map((a) => `${a.systemAccountId} (${a.accountType})`)
    expect(await page.textContent('#status')).toBe(`Connected: ${expected.length} account(s).`)
    expect(await page.locator('#accounts li').allTextContents()).toEqual(expected)
    expect(backend.grants.size).toBe(1)
  } finally {
    await browser.close()
  }
}, 60_000)
