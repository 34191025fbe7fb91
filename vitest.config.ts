import { playwright } from '@vitest/browser-playwright'
import { msw } from 'msw/vite'
import { defineConfig } from 'vitest/config'

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export default defineConfig({
  test: {
    // The JSON report feeds the plain "N passed, N failed" line that .ci/run prints.
    reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // Serves MSW's worker script at /mockServiceWorker.js for setupWorker tests (test/mock).
        plugins: [msw({ mode: 'worker-only' })],
        // Pre-bundle what tests import so Vite does not reload a test file mid-run.
        optimizeDeps: {
          include: [
            'zod',
            'openid-client',
            'msw',
            'msw/browser',
            'fast-check',
            'jose/jwt/sign',
            'jose/jwt/verify',
            'jose/jwt/decode',
            'jose/jwks/local',
            'jose/key/import',
            'jose/key/export',
            'jose/key/generate/keypair',
            'jose/jwk/thumbprint',
            'jose/base64url',
            'jose/errors',
            'jose/decode/protected_header',
            'jose/jwk/embedded',
          ],
        },
        // The page is served on 127.0.0.1 so that it can be a loopback IP redirect URI (RFC 8252).
        server: { host: '127.0.0.1' },
        test: {
          name: 'browser',
          // Everything that is not Node-only runs again in real headless Chromium.
          include: ['test/**/*.test.ts'],
          // The mock provider on loopback for the real-redirect consent test (provide/inject).
          globalSetup: ['test/consent/mock-provider.global-setup.ts'],
          exclude: ['test/**/*.node.test.ts', 'test/cli/**', 'test/mock-node/**'],
          testTimeout: 20_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromium,
                args: [
                  '--no-sandbox',
                  '--disable-gpu',
                  '--disable-quic',
                  '--no-first-run',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                ],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
})
