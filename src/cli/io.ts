/**
 * What a CLI command talks to: output streams, environment, a stop signal. `main(argv, io)`
 * takes it injected, so tests run commands in-process; the `ecis` binary passes the process's.
 */
import type { SecretSet } from './debug.js'

/** A text sink such as `process.stdout`. */
export interface CliStream {
  write(text: string): unknown
  /** Whether the stream is a terminal (progress bars, colours). */
  isTTY?: boolean | undefined
  /** Terminal width, when a terminal. */
  columns?: number | undefined
}

/** The process around a command. */
export interface CliIo {
  stdout: CliStream
  stderr: CliStream
  /** Environment variables (`HOME`, `ECIS_GRANT_FILE`, `DISPLAY`, …). */
  env: Record<string, string | undefined>
  /**
   * Stops long-running commands (`mock`, the wait in `consent`). The binary aborts it on
   * SIGINT/SIGTERM.
   */
  signal?: AbortSignal | undefined
  /** Opens a URL in a browser; the default spawns the platform's opener. Failures are ignored. */
  openBrowser?: ((url: string) => void | Promise<void>) | undefined
  /** The `fetch` every command uses. @default globalThis.fetch */
  fetch?: typeof fetch | undefined
  /**
   * Tokens and key material this run loaded (`main` provides it): scrubbed from everything
   * printed, the `--debug` report included.
   */
  secrets?: SecretSet | undefined
}

/** A mistake in the command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
  constructor(
    message: string,
    /** The usage text to print (the command's, or the general one). */
    readonly usage?: string,
  ) {
    super(message)
  }
}

/** Writes one line. */
export function line(stream: CliStream, text = ''): void {
  stream.write(`${text}\n`)
}

/** Writes a value as pretty JSON (the `--json` output: nothing else goes to stdout). */
export function json(stream: CliStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Resolves when `signal` aborts (never when there is none). */
export function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}
