/**
 * `main(argv, io)`: the `ecis` command line, runnable in-process (tests) or by the binary
 * (index.ts). Exit codes: 0 done, 1 an error (or a failed conformance check), 2 a usage mistake,
 * 130 interrupted.
 */

import { toEciError } from '../error-boundary.js'
import { type EciError, EciValidationError, ErrorCode } from '../errors.js'
import { integer, parse } from './args.js'
import { AUDIT_USAGE, auditCommand } from './commands/audit.js'
import { CHECK_USAGE, checkCommand } from './commands/check.js'
import { CONFORMANCE_USAGE, conformanceCommand } from './commands/conformance.js'
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
import { GREEN_BUTTON_USAGE, greenButtonCommand } from './commands/green-button.js'
import { KEYGEN_USAGE, keygenCommand } from './commands/keygen.js'
import { MOCK_USAGE, mockCommand } from './commands/mock.js'
import { REGISTRATION_USAGE, registrationCommand } from './commands/registration.js'
import { debugReport, SecretSet, scrub } from './debug.js'
import { runDemo } from './demo.js'
import { type CliIo, line, UsageError } from './io.js'
import { didYouMean } from './suggest.js'
import { packageVersion } from './version.js'

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
  /** The command takes `--lenient` (validation failures then suggest it). */
  lenient?: true
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
    lenient: true,
    run: singleCommand('basic'),
  },
  invoice: {
    synopsis: 'invoice ACCOUNT INVOICE',
    summary: "ECI Invoice: one invoice's summary",
    usage: INVOICE_USAGE,
    lenient: true,
    run: singleCommand('invoice'),
  },
  'invoice-detail': {
    synopsis: 'invoice-detail ACCOUNT INVOICE',
    summary: 'ECI Invoice Detail: line items and credits',
    usage: INVOICE_DETAIL_USAGE,
    lenient: true,
    run: singleCommand('invoice-detail'),
  },
  invoices: {
    synopsis: 'invoices ACCOUNT [--detail]',
    summary: "the account's invoice history (--since, --concurrency)",
    usage: INVOICES_USAGE,
    lenient: true,
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
  'green-button': {
    synopsis: 'green-button bills|usage|audit [FILE] · green-button consent …',
    summary: 'Green Button (ESPI): a file or a Connect My Data grant — exact bills, usage, money audit',
    usage: GREEN_BUTTON_USAGE,
    run: greenButtonCommand,
  },
  conformance: {
    synopsis: 'conformance --issuer URL …',
    summary: 'the provider conformance suite: every MUST and SHOULD (exit 1 on a MUST failure)',
    usage: CONFORMANCE_USAGE,
    run: conformanceCommand,
  },
  keygen: {
    synopsis: 'keygen [--alg ALG] [--out FILE]',
    summary: 'a key pair: private key file (0600), public JWKS to register',
    usage: KEYGEN_USAGE,
    run: keygenCommand,
  },
  registration: {
    synopsis: 'registration --key FILE --redirect-uri URI',
    summary: 'the client registration (RFC 7591 JSON) to send a utility',
    usage: REGISTRATION_USAGE,
    run: registrationCommand,
  },
}

export const USAGE = `Usage: ecis <command> [options]

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.synopsis.padEnd(32)}${c.summary}`)
  .join('\n')}
  ${'help [COMMAND]'.padEnd(32)}show this text, or a command's options

Global options:
  --version                       print the version
  --debug                         on an error, also print its causes and stack (never a secret)

"ecis COMMAND --help" shows a command's options. Exit codes: 0 done, 1 error, 2 usage mistake.
`

/** The SDK's option names, as the CLI's flags (an SDK message may name the option). */
const CLI_WORDING: [RegExp, string][] = [[/\ballowInsecureRequests: true\b/g, '--allow-insecure']]

/**
 * One line for an error, `ecis: <name> [<code>]: <message>`, never a stack trace or a secret.
 * A validation failure lists each issue once below it and, where the command takes
 * `--lenient`, says what that would accept.
 */
export function describeError(error: EciError, options: { lenientHint?: boolean } = {}): string {
  let message = error.message
  for (const [pattern, wording] of CLI_WORDING) message = message.replace(pattern, wording)
  if (!(error instanceof EciValidationError) || error.issues.length === 0) {
    return `ecis: ${error.name} [${error.code}]: ${message}`
  }
  const issues = error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
  // The message repeats the issues after its headline; print them once, one a line.
  const listed = error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
  if (message.endsWith(`: ${listed}`)) message = message.slice(0, -listed.length - 2)
  let text = `ecis: ${error.name} [${error.code}]: ${message} (${issues.length} issue${issues.length > 1 ? 's' : ''})`
  for (const issue of issues.slice(0, 20)) text += `\n  ${issue}`
  if (issues.length > 20) text += `\n  … ${issues.length - 20} more`
  if (options.lenientHint && error.issues.some((i) => !/received undefined/.test(i.message))) {
    text +=
      '\nHint: if the provider sends numbers or booleans as strings, or dates with a time, --lenient accepts them (each reported on stderr).'
  }
  return text
}

/** `--debug` anywhere before `--` turns the debug report on; it is no command's option. */
function takeDebugFlag(argv: readonly string[]): { args: string[]; debug: boolean } {
  const end = argv.indexOf('--')
  const head = end === -1 ? [...argv] : argv.slice(0, end)
  const tail = end === -1 ? [] : argv.slice(end)
  const args = head.filter((a) => a !== '--debug')
  return { args: [...args, ...tail], debug: args.length !== head.length }
}

/** Runs one `ecis` command line; resolves with the exit code and never rejects. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const { args, debug } = takeDebugFlag(argv)
  const [name, ...rest] = args
  const secrets = new SecretSet()
  const command = name === undefined ? undefined : COMMANDS[name]
  try {
    if (name === '--version' || name === '-V') {
      line(io.stdout, `ecis-consumer ${packageVersion()}`)
      return 0
    }
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      const topic = name === 'help' ? rest[0] : undefined
      const help = topic === undefined ? undefined : COMMANDS[topic]
      if (topic !== undefined && !help) throw unknownCommand(topic)
      io.stdout.write(help ? help.usage : USAGE)
      return name === undefined ? 2 : 0
    }
    if (!command) throw unknownCommand(name)
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(command.usage)
      return 0
    }
    return await command.run(rest, { ...io, secrets })
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
    const lenientHint = command?.lenient === true && !rest.includes('--lenient')
    line(io.stderr, scrub(describeError(error, { lenientHint }), secrets))
    if (debug) io.stderr.write(debugReport(error, secrets))
    return 1
  }
}

function unknownCommand(name: string): UsageError {
  const names = [...Object.keys(COMMANDS), 'help']
  return new UsageError(`unknown command "${name}"${didYouMean(name, names)}`)
}
