// The packed tarball in a CommonJS and an ESM consumer project: every entry of `exports`
// type-checks with `skipLibCheck: false` under `module: node16` and `nodenext` (the CJS project
// gets the .d.cts declarations, the ESM one the .d.ts), and the compiled project loads every
// entry at run time (require() in the CJS project, import in the ESM one).
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ConsumerProject, consumerProject, entrySpecifiers, runNode } from './consumer-project.js'

const tsc = join('node_modules', 'typescript', 'bin', 'tsc')
const projects: ConsumerProject[] = []
afterAll(async () => {
  for (const p of projects) await p.cleanup()
})

let entries: string[] = []
beforeAll(async () => {
  entries = await entrySpecifiers()
}, 180_000)

/** A consumer module that imports every entry and uses the main types the way an app does. */
function consumerSource(): string {
  const imports = entries.map((s, i) => `import * as entry${i} from '${s}'`).join('\n')
  const table = entries.map((s, i) => `  '${s}': entry${i},`).join('\n')
  return `${imports}
import { EciConsumer, EciError, type Basic, type Grant, type InvoiceDetail } from 'ecis-consumer'
import { createMockProvider, type MockProvider } from 'ecis-consumer/mock'
import { parseInvoiceDetail } from 'ecis-consumer/schemas'

export async function firstBasic(consumer: EciConsumer, grant: Grant): Promise<Basic | undefined> {
  const session = consumer.session(grant)
  const [account] = session.accounts
  return account === undefined ? undefined : session.basic(account)
}

export function total(raw: unknown): number {
  const detail: InvoiceDetail = parseInvoiceDetail(raw, { validation: 'lenient' })
  return detail.invoice_total
}

export function mock(): MockProvider {
  return createMockProvider({ issuer: 'https://auth.utility.example', clients: [] })
}

export const isEciError = (e: unknown): e is EciError => e instanceof EciError

const entries: Record<string, object> = {
${table}
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, Object.keys(v).length]))))
`
}

function tsconfig(module: 'node16' | 'nodenext'): string {
  return JSON.stringify({
    compilerOptions: {
      module,
      moduleResolution: module,
      target: 'es2023',
      // The SDK's types name WebCrypto's CryptoKey and JsonWebKey, and msw's need the DOM lib too.
      lib: ['es2023', 'dom'],
      types: ['node'],
      strict: true,
      skipLibCheck: false,
      outDir: 'out',
      rootDir: '.',
    },
    files: ['index.ts'],
  })
}

describe.each([
  ['CommonJS', 'commonjs'],
  ['ESM', 'module'],
] as const)('a %s consumer project', (_label, type) => {
  it.each(['node16', 'nodenext'] as const)(
    'type-checks every entry under module %s with skipLibCheck false, and loads each at run time',
    async (module) => {
      const project = await consumerProject(
        {
          'package.json': JSON.stringify({ name: `consumer-${type}`, private: true, type }),
          'tsconfig.json': tsconfig(module),
          'index.ts': consumerSource(),
        },
        // A pg user has pg's types (@types/pg); ioredis and bullmq ship their own.
        ['typescript', '@types/node', '@types/pg'],
      )
      projects.push(project)
      const compiled = await runNode(project, [tsc, '-p', 'tsconfig.json'])
      expect(compiled.stdout + compiled.stderr, 'tsc output').toBe('')
      expect(compiled.code).toBe(0)
      const loaded = await runNode(project, [join('out', 'index.js')])
      expect(loaded.stderr).toBe('')
      const counts = JSON.parse(loaded.stdout) as Record<string, number>
      expect(Object.keys(counts)).toEqual(entries)
      for (const count of Object.values(counts)) expect(count).toBeGreaterThan(0)
    },
    120_000,
  )
})
