// `ecis-consumer/testing` under jest: a project with the packed tarball installed runs
// grantStoreConformance with jest's own globals on the DynamoDB-shaped example store of
// docs/scaling.md (types stripped by esbuild, as a jest user's transform would).
import { readFile } from 'node:fs/promises'
import { transform } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import { type ConsumerProject, consumerProject, runNode } from './consumer-project.js'

let project: ConsumerProject | undefined
afterAll(() => project?.cleanup())

describe('grantStoreConformance under jest', () => {
  it('the example store passes every case, run by jest from the installed package', async () => {
    const source = await readFile(
      new URL('../../examples/custom-store/dynamodb-grant-store.ts', import.meta.url),
      'utf8',
    )
    const { code } = await transform(source, { loader: 'ts', format: 'esm' })
    project = await consumerProject(
      {
        'package.json': JSON.stringify({ name: 'jest-store', type: 'module', private: true }),
        'jest.config.json': JSON.stringify({ testEnvironment: 'node', transform: {}, testMatch: ['**/*.test.mjs'] }),
        'dynamodb-grant-store.mjs': code,
        'store.test.mjs': [
          "import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'",
          "import { grantStoreConformance } from 'ecis-consumer/testing'",
          "import { dynamoGrantStore, inMemoryTable } from './dynamodb-grant-store.mjs'",
          'grantStoreConformance(() => dynamoGrantStore(inMemoryTable()), { describe, it, expect, beforeAll, afterAll })',
        ].join('\n'),
      },
      ['jest', '@jest/globals'],
    )
    const r = await runNode(project, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--ci', '--json'], {
      NODE_NO_WARNINGS: '1',
    })
    const report = JSON.parse(r.stdout) as { numPassedTests: number; numFailedTests: number; numTotalTests: number }
    expect({ code: r.code, failed: report.numFailedTests }).toEqual({ code: 0, failed: 0 })
    expect(report.numPassedTests).toBe(report.numTotalTests)
    expect(report.numTotalTests).toBeGreaterThan(40)
  }, 240_000)
})
