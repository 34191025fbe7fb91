// The DynamoDB-shaped store of docs/scaling.md (examples/custom-store/) passes the shipped
// GrantStore conformance suite, and the doc shows that very file.
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuiltPackage } from './package-build.js'

// The example imports `ecis-consumer` (the built package, as an app would), so the suite comes
// from the built `ecis-consumer/testing` too: one copy of the error classes.
await ensureBuiltPackage()
const { grantStoreConformance } = await import('ecis-consumer/testing')
const { dynamoGrantStore, inMemoryTable } = await import('../../examples/custom-store/dynamodb-grant-store.js')

grantStoreConformance(() => dynamoGrantStore(inMemoryTable()), {
  describe,
  it,
  expect,
  beforeAll,
  afterAll,
  name: 'GrantStore conformance: the DynamoDB-shaped example store',
})

describe('docs/scaling.md', () => {
  it('shows the example store as it is tested', async () => {
    const doc = await readFile(new URL('../../docs/scaling.md', import.meta.url), 'utf8')
    const code = await readFile(new URL('../../examples/custom-store/dynamodb-grant-store.ts', import.meta.url), 'utf8')
    expect(doc).toContain(code.trim())
  })
})
