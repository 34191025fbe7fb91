/**
 * The vitest config of the CI example: in your project this is your own vitest.config.ts.
 * Run the example: `npm run build && npx vitest run --config examples/ci/vitest.config.ts`
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ['**/*.test.ts'],
    environment: 'node', // MSW's setupServer intercepts Node's fetch
    testTimeout: 20_000,
  },
})
