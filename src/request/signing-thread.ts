/**
 * One worker thread per process that signs with `node:crypto`, in batches. With many requests
 * in flight the main thread is what limits calls per second; WebCrypto moves the ECDSA work to
 * the thread pool but still costs the main thread a job, a promise and a copy per signature
 * (and the pool a wake-up each). Here the signing inputs queued during one turn of the event
 * loop go to the worker in one message and come back in one, so the main thread's share per
 * signature is a queue entry.
 *
 * Node only (through `nodeBuiltin`); where there is no `worker_threads`, or the worker cannot
 * start or dies, {@link signingThread} answers `undefined` and callers sign with WebCrypto. The
 * worker is unreferenced while idle: it never keeps a process alive.
 * @module
 */
import { nodeBuiltin } from '../node-builtin.js'

/** What the worker runs: sign each `[keyId, hash, input]` of a batch; reply with DER/raw bytes or an error text. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { sign } = require('node:crypto')
const keys = new Map()
parentPort.on('message', (m) => {
  if (m.key) return void keys.set(m.id, m.key)
  const out = new Array(m.items.length)
  for (let i = 0; i < m.items.length; i++) {
    const [keyId, hash, input] = m.items[i]
    try {
      out[i] = sign(hash, Buffer.from(input, 'latin1'), keys.get(keyId))
    } catch (error) {
      out[i] = String(error && error.message)
    }
  }
  parentPort.postMessage({ id: m.id, out })
})
`

/** The slice of `node:worker_threads`' `Worker` used here. */
interface NodeWorker {
  postMessage(message: unknown): void
  on(event: 'message', listener: (reply: Reply) => void): this
  on(event: 'error' | 'exit', listener: (detail: unknown) => void): this
  ref(): void
  unref(): void
}
interface WorkerThreads {
  Worker: new (source: string, options: { eval: true }) => NodeWorker
}
interface Reply {
  id: number
  out: (Uint8Array | string)[]
}
interface Pending {
  keyId: number
  hash: string | null
  input: string
  resolve(signature: Uint8Array): void
  reject(error: Error): void
}

/** `setImmediate`, typed locally (the core compiles without Node types). */
const setImmediate_ = (globalThis as { setImmediate?: (callback: () => void) => void }).setImmediate

/** The process's signing thread. */
class SigningThread {
  readonly #worker: NodeWorker
  readonly #keyIds = new WeakMap<object, number>()
  #nextKeyId = 0
  #queue: Pending[] = []
  readonly #batches = new Map<number, Pending[]>()
  #nextBatchId = 0
  #scheduled = false
  #dead = false

  constructor(threads: WorkerThreads) {
    this.#worker = new threads.Worker(WORKER_SOURCE, { eval: true })
    this.#worker.unref()
    this.#worker.on('message', (reply) => this.#settle(reply))
    this.#worker.on('error', () => this.#die())
    this.#worker.on('exit', () => this.#die())
  }

  get alive(): boolean {
    return !this.#dead
  }

  /** Signs `input` with `key` (a Node `KeyObject`) and `hash` (`null` for Ed25519); DER for ECDSA. */
  sign(key: object, hash: string | null, input: string): Promise<Uint8Array> {
    if (this.#dead) return Promise.reject(new Error('the signing thread has stopped'))
    let keyId = this.#keyIds.get(key)
    if (keyId === undefined) {
      keyId = this.#nextKeyId++
      this.#keyIds.set(key, keyId)
      this.#worker.postMessage({ key, id: keyId })
    }
    const id = keyId
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#queue.push({ keyId: id, hash, input, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate_?.(() => this.#flush())
      }
    })
  }

  /** Sends what the last turn of the event loop queued, as one batch. */
  #flush(): void {
    this.#scheduled = false
    const batch = this.#queue
    if (batch.length === 0 || this.#dead) return
    this.#queue = []
    const id = this.#nextBatchId++
    if (this.#batches.size === 0) this.#worker.ref()
    this.#batches.set(id, batch)
    this.#worker.postMessage({ id, items: batch.map((p) => [p.keyId, p.hash, p.input]) })
  }

  #settle(reply: Reply): void {
    const batch = this.#batches.get(reply.id)
    if (!batch) return
    this.#batches.delete(reply.id)
    if (this.#batches.size === 0) this.#worker.unref()
    batch.forEach((pending, i) => {
      const out = reply.out[i]
      if (out instanceof Uint8Array) pending.resolve(out)
      else pending.reject(new Error(`signing failed: ${out}`))
    })
  }

  #die(): void {
    if (this.#dead) return
    this.#dead = true
    const stopped = new Error('the signing thread has stopped')
    for (const batch of [...this.#batches.values(), this.#queue]) for (const p of batch) p.reject(stopped)
    this.#batches.clear()
    this.#queue = []
  }
}

let thread: SigningThread | null | undefined

/** The process's signing thread, started on first use; `undefined` where there is none (or it stopped). @internal */
export function signingThread(): SigningThread | undefined {
  if (thread === undefined) {
    const threads = setImmediate_ ? nodeBuiltin<WorkerThreads>('worker_threads') : undefined
    try {
      thread = threads ? new SigningThread(threads) : null
    } catch {
      thread = null
    }
  }
  return thread?.alive ? thread : undefined
}
