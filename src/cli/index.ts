#!/usr/bin/env node
/**
 * The `ecis` command. `ecis demo` runs the whole journey against the embedded mock provider.
 * (The design's other commands — mock, consent, accounts, basic, invoice, invoices, check — are
 * not built yet.)
 */
import { parseArgs } from 'node:util'
import { EciError } from '../errors.js'
import { runDemo } from './demo.js'

const USAGE = `Usage: ecis <command> [options]

Commands:
  demo [--seed N] [--last N]   run discovery, consent, code exchange and every data request
                               against the embedded mock provider (no setup, no network)
  help                         show this text
`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const { values } = parseArgs({
    args: rest,
    options: { seed: { type: 'string' }, last: { type: 'string' } },
    strict: true,
  })
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`)
    return n
  }
  switch (command) {
    case 'demo':
      await runDemo({ seed: num(values.seed, 'seed'), last: num(values.last, 'last') })
      return 0
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE)
      return command === undefined ? 1 : 0
    default:
      process.stderr.write(`Unknown command "${command}"\n\n${USAGE}`)
      return 1
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const text =
      error instanceof EciError
        ? `${error.name} [${error.code}]: ${error.message}`
        : String((error as Error)?.message ?? error)
    process.stderr.write(`ecis: ${text}\n`)
    process.exitCode = 1
  },
)
