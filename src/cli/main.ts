/**
 * `main(argv, io)`: the `ecis` command line, runnable in-process (tests) or by the binary
 * (index.ts). Exit codes: 0 done, 1 an error (or a failed conformance check), 2 a usage mistake,
 * 130 interrupted.
 */
import { type EciError, EciValidationError, ErrorCode, toEciError } from '../errors.js'
import { integer, parse } from './args.js'
import { AUDIT_USAGE, auditCommand } from './commands/audit.js'
import { CHECK_USAGE, checkCommand } from './commands/check.js'
import { CONSENT_USAGE, consentCommand } from './commands/consent.js'
import {
  ACCOUNTS_USAGE,
  accountsCommand,
  BASIC_USAGE,
  INVOICE_DETAIL_USAGE,
  INVOICE_USAGE,
  INVOICES_USAGE,
  invoicesCommand,
  singleCommand,
} from './commands/data.js'
import { MOCK_USAGE, mockCommand } from './commands/mock.js'
import { runDemo } from './demo.js'
import { type CliIo, line, UsageError } from './io.js'

export type { CliIo, CliStream } from './io.js'

const DEMO_USAGE = `Usage: ecis demo [--seed N] [--last N]

Runs discovery, consent, code exchange and every data request against the embedded mock
provider (no setup, no network).

Options:
  --seed N     fixture seed (default 1)
  --last N     invoices shown per account (default 6)
`

interface Command {
  synopsis: string
  summary: string
  usage: string
  run(args: string[], io: CliIo): Promise<number>
}

const COMMANDS: Record<string, Command> = {
  demo: {
    synopsis: 'demo [--seed N] [--last N]',
    summary: 'the whole journey against the embedded mock provider',
    usage: DEMO_USAGE,
    async run(args, io) {
      const { values, positionals } = parse(args, { seed: { type: 'string' }, last: { type: 'string' } }, DEMO_USAGE)
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, DEMO_USAGE)
      await runDemo({
        seed: integer(values.seed, 'seed', DEMO_USAGE),
        last: integer(values.last, 'last', DEMO_USAGE),
        out: (text) => line(io.stdout, text),
      })
      return 0
    },
  },
  mock: {
    synopsis: 'mock [--port N] [--seed N] …',
    summary: 'serve the mock provider on 127.0.0.1 until stopped',
    usage: MOCK_USAGE,
    run: mockCommand,
  },
  consent: {
    synopsis: 'consent --issuer URL …',
    summary: 'consent through a loopback redirect; stores the grant (0600)',
    usage: CONSENT_USAGE,
    run: consentCommand,
  },
  accounts: {
    synopsis: 'accounts',
    summary: 'the accounts, scopes and expiry of the stored grant',
    usage: ACCOUNTS_USAGE,
    run: accountsCommand,
  },
  basic: {
    synopsis: 'basic ACCOUNT',
    summary: "ECI Basic: the account's standing data",
    usage: BASIC_USAGE,
    run: singleCommand('basic'),
  },
  invoice: {
    synopsis: 'invoice ACCOUNT INVOICE',
    summary: "ECI Invoice: one invoice's summary",
    usage: INVOICE_USAGE,
    run: singleCommand('invoice'),
  },
  'invoice-detail': {
    synopsis: 'invoice-detail ACCOUNT INVOICE',
    summary: 'ECI Invoice Detail: line items and credits',
    usage: INVOICE_DETAIL_USAGE,
    run: singleCommand('invoice-detail'),
  },
  invoices: {
    synopsis: 'invoices ACCOUNT [--detail]',
    summary: "the account's invoice history (--since, --concurrency)",
    usage: INVOICES_USAGE,
    run: invoicesCommand,
  },
  audit: {
    synopsis: 'audit ACCOUNT [--since DATE]',
    summary: "the money audit of the account's invoice history (exit 1 on an error)",
    usage: AUDIT_USAGE,
    run: auditCommand,
  },
  check: {
    synopsis: 'check --issuer URL …',
    summary: 'a provider conformance report (exit 1 when a check fails)',
    usage: CHECK_USAGE,
    run: checkCommand,
  },
}

export const USAGE = `Usage: ecis <command> [options]

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.synopsis.padEnd(32)}${c.summary}`)
  .join('\n')}
  ${'help [COMMAND]'.padEnd(32)}show this text, or a command's options

"ecis COMMAND --help" shows a command's options. Exit codes: 0 done, 1 error, 2 usage mistake.
`

/** One line for an error: `ecis: <name> [<code>]: <message>`; never a stack trace or a secret. */
export function describeError(error: EciError): string {
  let text = `ecis: ${error.name} [${error.code}]: ${error.message}`
  if (error instanceof EciValidationError) {
    for (const issue of error.issues.slice(0, 20)) text += `\n  ${issue.path.join('.') || '(body)'}: ${issue.message}`
    if (error.issues.length > 20) text += `\n  … ${error.issues.length - 20} more`
  }
  return text
}

/** Runs one `ecis` command line; resolves with the exit code and never rejects. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      const topic = name === 'help' ? rest[0] : undefined
      const command = topic === undefined ? undefined : COMMANDS[topic]
      if (topic !== undefined && !command) throw new UsageError(`unknown command "${topic}"`)
      io.stdout.write(command ? command.usage : USAGE)
      return name === undefined ? 2 : 0
    }
    const command = COMMANDS[name]
    if (!command) throw new UsageError(`unknown command "${name}"`)
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(command.usage)
      return 0
    }
    return await command.run(rest, io)
  } catch (thrown) {
    if (thrown instanceof UsageError) {
      io.stderr.write(`ecis: ${thrown.message}\n\n${thrown.usage ?? USAGE}`)
      return 2
    }
    const error = toEciError(thrown, 'ecis')
    if (io.signal?.aborted && error.code === ErrorCode.ABORTED) {
      line(io.stderr, 'ecis: interrupted')
      return 130
    }
    line(io.stderr, describeError(error))
    return 1
  }
}
