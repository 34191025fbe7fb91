/**
 * A TCP fault proxy (node:net) between a test's store clients and a real server (Redis,
 * PostgreSQL). Each client connection gets its own connection to the server. A fault armed with
 * `fault()` applies once, to the next client→server chunk that matches (one command on loopback):
 *
 * - `drop-reply`: the command reaches the server and runs; its reply is thrown away and the
 *   connection reset — the client never learns the outcome;
 * - `reset`: the connection is reset before the command is forwarded — it never ran;
 * - `cut`: half of the command is forwarded, then the connection is reset — the server drops it;
 * - `delay-reply`: the command runs at once; everything the server sends back on that connection
 *   is held `ms`;
 * - `blackhole`: the command and everything after it on that connection, both ways, is held `ms`
 *   and then delivered (a stall past a lock's ttl; the command lands late);
 * - `hold-reply`: the command runs; its reply is held until `until()` resolves (pause the client
 *   process there, let others act, resume).
 *
 * `partition()` holds every connection's traffic, new ones included, until the returned `heal()`;
 * `latency(ms)` delays every reply by `ms` (a slow store: commands run at once, answers come late).
 */
import { createServer, type Server, Socket } from 'node:net'

export type FaultAction = 'drop-reply' | 'reset' | 'cut' | 'delay-reply' | 'blackhole' | 'hold-reply'

export interface FaultSpec {
  /** Which client→server chunk (read as latin1) the fault applies to. */
  match: (command: string) => boolean
  action: FaultAction
  /** `delay-reply`, `blackhole`: how long, ms. */
  ms?: number
  /** `hold-reply`: the reply is delivered once this resolves. */
  until?: () => Promise<void>
}

export interface FaultProxy {
  readonly port: number
  /** Arms a fault; `hit` resolves, and `applied` turns true, once a command matched it. */
  fault(spec: FaultSpec): { hit: Promise<void>; readonly applied: boolean }
  /** Holds all traffic (existing and new connections) until `heal()`. */
  partition(): { heal(): void }
  /** Delays every server→client chunk by `ms` from now on. */
  latency(ms: number): void
  /** Commands seen so far (for a test's diagnostics), newest last. */
  readonly seen: number
  close(): Promise<void>
}

/** One direction of a link: chunks written in order, each after the gate in force when it arrived. */
class Lane {
  #chain: Promise<void> = Promise.resolve()
  gate: Promise<void> | undefined
  constructor(readonly to: Socket) {}
  push(chunk: Buffer, after?: Promise<void>): void {
    const wait = after ?? this.gate
    this.#chain = this.#chain.then(async () => {
      if (wait) await wait
      if (!this.to.destroyed) this.to.write(chunk)
    })
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const faults: { spec: FaultSpec; hit: () => void }[] = []
  const sockets = new Set<Socket>()
  let partitioned: Promise<void> | undefined
  let latencyMs = 0
  let seen = 0

  const link = (client: Socket) => {
    const server = new Socket()
    sockets.add(client).add(server)
    const up = new Lane(server)
    const down = new Lane(client)
    up.gate = partitioned
    down.gate = partitioned
    /** What happens to the next reply: dropped (and the link reset), or held until a promise. */
    let nextReply: { drop: true } | { until: Promise<void> } | undefined
    const kill = () => {
      client.resetAndDestroy()
      server.destroy()
    }
    server.connect(target.port, target.host)
    server.on('data', (chunk) => {
      const reply = nextReply
      nextReply = undefined
      if (reply && 'drop' in reply) return kill()
      const slow = latencyMs > 0 ? sleep(latencyMs) : undefined
      down.push(chunk, reply?.until ?? partitioned ?? slow ?? down.gate)
      if (reply) down.gate = reply.until
    })
    client.on('data', (chunk) => {
      seen++
      const text = chunk.toString('latin1')
      const index = faults.findIndex((f) => f.spec.match(text))
      const fault = index >= 0 ? faults.splice(index, 1)[0] : undefined
      fault?.hit()
      switch (fault?.spec.action) {
        case 'reset':
          return kill()
        case 'cut':
          server.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)), () => setTimeout(kill, 20))
          return
        case 'drop-reply':
          nextReply = { drop: true }
          break
        case 'delay-reply':
          nextReply = { until: sleep(fault.spec.ms ?? 0) }
          break
        case 'hold-reply':
          nextReply = { until: (fault.spec.until ?? (() => Promise.resolve()))() }
          break
        case 'blackhole': {
          const held = sleep(fault.spec.ms ?? 0)
          up.gate = held
          down.gate = held
          break
        }
      }
      up.push(chunk, partitioned ?? up.gate)
    })
    const close = () => {
      sockets.delete(client)
      sockets.delete(server)
      client.destroy()
      server.destroy()
    }
    client.on('error', close).on('close', close)
    server.on('error', close).on('close', () => {
      // Let held data drain before the client sees the end.
      void (down.gate ?? Promise.resolve()).then(close)
    })
  }

  const listener: Server = createServer(link)
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const port = (listener.address() as { port: number }).port
  return {
    port,
    get seen() {
      return seen
    },
    fault(spec) {
      let applied = false
      let hit!: () => void
      const promise = new Promise<void>((resolve) => {
        hit = () => {
          applied = true
          resolve()
        }
      })
      faults.push({ spec, hit })
      return {
        hit: promise,
        get applied() {
          return applied
        },
      }
    },
    partition() {
      let heal!: () => void
      partitioned = new Promise<void>((resolve) => {
        heal = resolve
      })
      const current = partitioned
      return {
        heal() {
          if (partitioned === current) partitioned = undefined
          heal()
        },
      }
    },
    latency(ms) {
      latencyMs = ms
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => listener.close(() => resolve()))
    },
  }
}
