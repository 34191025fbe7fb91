/**
 * A RemoteSigner backed by the signing service (signing-service.mjs) in another process: the
 * SDK under test only ever holds the public key, as with a KMS or an HSM.
 */
import { fileURLToPath } from 'node:url'
import type { RemoteSigner } from '../../src/index.js'
import { startProcess } from './server-process.js'

const SCRIPT = fileURLToPath(new URL('./signing-service.mjs', import.meta.url))

export interface SigningService {
  /** Where the service listens (`GET /key`, `POST /sign`): other processes build their own signer on it. */
  url: string
  /** A signer that signs over HTTP in the service's process. */
  signer: RemoteSigner
  /** The service's next `times` signatures fail that way. */
  fault(mode: 'fail' | 'hang' | 'empty' | 'other-key', times?: number): Promise<void>
  /** How many signatures the service made. */
  signed(): Promise<number>
  close(): Promise<void>
}

export async function startSigningService(
  alg: 'ES256' | 'ES384' | 'PS256' | 'RS256' | 'EdDSA' = 'ES256',
  options: { encoding?: 'der' | 'raw'; timeoutMs?: number } = {},
): Promise<SigningService> {
  const child = await startProcess(process.execPath, [SCRIPT, alg, options.encoding ?? 'der'], {
    ready: /signing service on (http:\/\/[\d.:]+)/,
  })
  const base = /signing service on (http:\/\/[\d.:]+)/.exec(child.output())?.[1] as string
  const key = (await (await fetch(`${base}/key`)).json()) as Pick<RemoteSigner, 'alg' | 'kid' | 'publicJwk'>
  const signer: RemoteSigner = {
    ...key,
    timeoutMs: options.timeoutMs,
    async sign(data) {
      const response = await fetch(`${base}/sign`, { method: 'POST', body: data as Uint8Array<ArrayBuffer> })
      if (!response.ok) throw new Error(`signing service: HTTP ${response.status} ${await response.text()}`)
      return new Uint8Array(await response.arrayBuffer())
    },
  }
  return {
    url: base,
    signer,
    async fault(mode, times = 1) {
      await fetch(`${base}/fault`, { method: 'POST', body: JSON.stringify({ mode, times }) })
    },
    async signed() {
      return ((await (await fetch(`${base}/stats`)).json()) as { signed: number }).signed
    },
    close: () => child.stop('SIGTERM'),
  }
}
