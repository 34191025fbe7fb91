#!/usr/bin/env node
/**
 * The `ecis` binary: runs `main` with the process's streams and environment. SIGINT/SIGTERM
 * stop long-running commands gracefully (`ecis mock`, the wait in `ecis consent`); a second
 * signal, or a command that does not stop within 2 s, exits with 130.
 */
import { main } from './main.js'

const controller = new AbortController()
const stop = () => {
  if (controller.signal.aborted) process.exit(130)
  controller.abort()
  setTimeout(() => process.exit(130), 2000).unref()
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

// A reader that closes the pipe early (`ecis invoices … | head -3`) is no error: stop quietly, as
// Unix tools do, instead of an uncaught EPIPE with a stack trace. Other stream errors stay loud.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    controller.abort()
    process.exit(0)
  })
}

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code
})
