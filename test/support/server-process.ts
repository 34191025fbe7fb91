/**
 * Real database servers for tests: a child process started (as another user when asked) and
 * considered up once its log says so, stopped with a chosen signal. Shared by
 * redis-server.ts and postgres-server.ts.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'

/** A free TCP port on 127.0.0.1 (the OS picks one; the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/** uid/gid of a system user, from `id`. */
export function userIds(user: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim())
  return { uid: id('-u'), gid: id('-g') }
}

export const isRoot = () => process.getuid?.() === 0

export interface RunningProcess {
  readonly child: ChildProcess
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string
  /** Sends `signal` and resolves when the process has exited. */
  stop(signal: NodeJS.Signals): Promise<void>
}

const running = new Set<ChildProcess>()
// A test worker that dies must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/**
 * Spawns `command` and resolves once its output matches `ready`; rejects (with the output)
 * when it exits first or `timeoutMs` passes.
 */
export function startProcess(
  command: string,
  args: string[],
  options: { ready: RegExp; timeoutMs?: number; user?: { uid: number; gid: number }; cwd?: string },
): Promise<RunningProcess> {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
    env: { PATH: process.env.PATH, LC_ALL: 'C', TZ: 'UTC' },
    ...(options.user ?? {}),
  })
  running.add(child)
  let output = ''
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child)
      resolve()
    })
  })
  const handle: RunningProcess = {
    child,
    output: () => output,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} did not start within ${options.timeoutMs ?? 30_000} ms:\n${output}`))
    }, options.timeoutMs ?? 30_000)
    const onData = (data: Buffer) => {
      output += data
      if (options.ready.test(output)) {
        clearTimeout(timer)
        resolve(handle)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`${command} exited before it was ready (code ${child.exitCode}):\n${output}`))
    })
  })
}
