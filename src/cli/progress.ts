/** Progress of long syncs on stderr: a bar redrawn in place on a terminal, a plain count otherwise. */
import type { CliStream } from './io.js'

export interface Progress {
  tick(): void
  done(): void
}

/**
 * Whether `stream` can redraw a line in place: a terminal that is not `TERM=dumb` (Emacs shell,
 * some CI logs), which prints every `\r` redraw as a new line.
 */
export function canRedraw(stream: CliStream, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb'
}

/** A progress display for `total` items named `what` (e.g. "invoices of 0018-102"). */
export function progress(
  stream: CliStream,
  total: number,
  what: string,
  env: Record<string, string | undefined>,
): Progress {
  let count = 0
  if (!canRedraw(stream, env)) {
    return {
      tick: () => {
        count++
      },
      done: () => stream.write(`${count}/${total} ${what} fetched\n`),
    }
  }
  const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - what.length - 20))
  const draw = () => {
    const filled = total === 0 ? width : Math.round((count / total) * width)
    stream.write(`\r[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${count}/${total} ${what}`)
  }
  draw()
  return {
    tick: () => {
      count++
      draw()
    },
    done: () => stream.write('\r\x1b[2K'),
  }
}
