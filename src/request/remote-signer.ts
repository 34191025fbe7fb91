/**
 * Remote signers: keys held in a KMS or HSM that never leave it. The SDK builds each JWS signing
 * input and hands its bytes to the app's signer; what comes back is checked once against the
 * signer's public key, ECDSA DER signatures are converted to JOSE's r‖s, and a signer that throws,
 * hangs or returns nothing is an {@link EciError} `ERR_ECI_SIGNER_FAILED` naming the key id.
 * @see docs/keys.md
 * @module
 */
import type { JWK } from 'jose'
import { EciConfigError, EciError, ErrorCode } from '../errors.js'

/**
 * A signing key the SDK never sees: a KMS or HSM key behind the app's own client. Accepted
 * wherever a key is (`clientAuth.key`, `signingKey`, `signingKeys`, `dpop.key`, `dpop.keys`,
 * `signRequestJwt({ key })`, `publicJwks`).
 *
 * @see docs/keys.md (signers for AWS KMS, Google Cloud KMS, Azure Key Vault and PKCS#11)
 * @example
 * ```ts
 * import { generateKeyPair } from 'jose/key/generate/keypair'
 * import { exportJWK } from 'jose/key/export'
 * import type { RemoteSigner } from 'ecis-consumer'
 *
 * const pair = await generateKeyPair('ES256')   // in real life: the KMS holds the private half
 * const signer: RemoteSigner = {
 *   alg: 'ES256',
 *   kid: 'acme-2026-01',
 *   publicJwk: await exportJWK(pair.publicKey),
 *   sign: async (data) =>
 *     new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data)),
 * }
 * ```
 */
export interface RemoteSigner {
  /** The JWS algorithm the key signs with (`ES256`, `PS256`, `EdDSA`, …). */
  readonly alg: string
  /** The key id: the JWS `kid` header and the `kid` of its entry in the published JWKS. */
  readonly kid: string
  /** The public key as a JWK (no private members): published in the JWKS, sent in DPoP proofs. */
  readonly publicJwk: JWK
  /**
   * Signs `data` (the JWS signing input's bytes) and resolves to the JWS signature: r‖s for
   * ECDSA (a DER `ECDSA-Sig-Value`, as AWS KMS and Google Cloud KMS return, is converted),
   * the raw signature for RSA and Ed25519. Called once per JWT; the SDK never retries it.
   */
  sign(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array>
  /**
   * How long one signature may take, in ms; past it the SDK call fails with `ERR_ECI_SIGNER_FAILED`.
   * @default 10_000
   */
  readonly timeoutMs?: number | undefined
}

/** Default longest wait for one remote signature, ms. */
export const DEFAULT_SIGNER_TIMEOUT_MS = 10_000

/** Whether `value` is a {@link RemoteSigner} (an object with a `sign` function) rather than a key. */
export function isRemoteSigner(value: unknown): value is RemoteSigner {
  return value !== null && typeof value === 'object' && typeof (value as RemoteSigner).sign === 'function'
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const

/** The public members of a JWK: what a JWKS entry and a DPoP `jwk` header carry. */
export function publicMembers(jwk: JWK): JWK {
  switch (jwk.kty) {
    case 'EC':
      return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK
    case 'OKP':
      return { kty: 'OKP', crv: jwk.crv, x: jwk.x } as JWK
    case 'RSA':
      return { kty: 'RSA', e: jwk.e, n: jwk.n } as JWK
    default:
      return { kty: jwk.kty } as JWK
  }
}

/** Checks a signer's own members; the algorithm against its key is checked by the caller. */
export function checkRemoteSigner(signer: RemoteSigner): { kid: string; publicJwk: JWK; timeoutMs: number } {
  const bad = (message: string) => new EciConfigError(ErrorCode.INVALID_KEY, message)
  const { kid, publicJwk, timeoutMs } = signer
  if (typeof kid !== 'string' || kid.length === 0) throw bad('A remote signer needs a non-empty `kid`')
  if (publicJwk === null || typeof publicJwk !== 'object' || typeof publicJwk.kty !== 'string') {
    throw bad(`The remote signer "${kid}" needs its \`publicJwk\` (the public key as a JWK)`)
  }
  if (PRIVATE_MEMBERS.some((m) => m in publicJwk)) {
    throw bad(`The remote signer "${kid}" has private key members in \`publicJwk\`; give the public key only`)
  }
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > 2 ** 31 - 1)) {
    throw bad(`The remote signer "${kid}" has a bad \`timeoutMs\` (a positive number of milliseconds)`)
  }
  return { kid, publicJwk: publicMembers(publicJwk), timeoutMs: timeoutMs ?? DEFAULT_SIGNER_TIMEOUT_MS }
}

function signerFailed(kid: string, why: string, cause?: unknown): EciError {
  return new EciError(ErrorCode.SIGNER_FAILED, `The remote signer of key "${kid}" ${why}`, { cause })
}

/**
 * A DER `ECDSA-Sig-Value` (SEQUENCE of INTEGER r, INTEGER s) as JOSE's fixed-size r‖s, or
 * `undefined` when `der` is not exactly one.
 */
export function derToJoseSignature(der: Uint8Array, size: number): Uint8Array | undefined {
  let i = 0
  if (der[i++] !== 0x30) return undefined
  let length = der[i++] ?? 0
  if (length === 0x81) length = der[i++] ?? 0
  else if (length > 0x80) return undefined
  if (length !== der.length - i) return undefined
  const out = new Uint8Array(2 * size)
  for (const at of [0, size]) {
    if (der[i++] !== 0x02) return undefined
    const n = der[i++] ?? 0
    if (n === 0 || n > 0x7f || i + n > der.length) return undefined
    let int = der.subarray(i, i + n)
    i += n
    while (int.length > 1 && int[0] === 0) int = int.subarray(1)
    if (int.length > size) return undefined
    out.set(int, at + size - int.length)
  }
  return i === der.length ? out : undefined
}

/** Bytes of each half of an ECDSA JOSE signature, by algorithm. */
const EC_HALF: Record<string, number> = { ES256: 32, ES384: 48, ES512: 66 }

/** The signature as JOSE wants it: r‖s for ECDSA (DER converted), else as given. */
function joseSignature(kid: string, alg: string, signature: Uint8Array): Uint8Array {
  const half = EC_HALF[alg]
  if (half === undefined || signature.length === 2 * half) return signature
  const converted = derToJoseSignature(signature, half)
  if (!converted) {
    throw new EciConfigError(
      ErrorCode.INVALID_KEY,
      `The remote signer of key "${kid}" returned a ${signature.length}-byte ${alg} signature that is neither r‖s (${2 * half} bytes) nor DER`,
    )
  }
  return converted
}

/** Settles `work` within `ms`; a late rejection stays handled (no unhandled rejection). */
function within<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/** The settled parts of a signer the SDK signs with. */
export interface RemoteSigning {
  readonly kid: string
  readonly alg: string
  readonly timeoutMs: number
  /** Verifies a signature against the signer's public key (first signature only). */
  readonly verify: (signature: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>) => Promise<boolean>
}

/**
 * `sign` for a remote signer: bounded in time, every failure typed, DER converted, and the
 * first signature verified against `publicJwk` so a signer holding another key (or signing with
 * another algorithm) fails at once with a message naming its `kid`, not at the provider.
 */
export function remoteSign(
  signer: RemoteSigner,
  o: RemoteSigning,
): (data: Uint8Array<ArrayBuffer>) => Promise<Uint8Array> {
  let checked = false
  return async (data) => {
    let raw: unknown
    try {
      raw = await within(Promise.resolve(signer.sign(data)), o.timeoutMs, () =>
        signerFailed(o.kid, `did not answer within ${o.timeoutMs} ms`),
      )
    } catch (error) {
      if (error instanceof EciError && error.code === ErrorCode.SIGNER_FAILED) throw error
      throw signerFailed(o.kid, 'failed', error)
    }
    if (!(raw instanceof Uint8Array) && !(raw instanceof ArrayBuffer)) {
      throw signerFailed(o.kid, 'returned no signature (expected a Uint8Array)')
    }
    const bytes = new Uint8Array(raw instanceof ArrayBuffer ? raw : raw.slice())
    if (bytes.length === 0) throw signerFailed(o.kid, 'returned an empty signature')
    const signature = joseSignature(o.kid, o.alg, bytes) as Uint8Array<ArrayBuffer>
    if (!checked) {
      if (!(await o.verify(signature, data))) {
        throw new EciConfigError(
          ErrorCode.INVALID_KEY,
          `The remote signer of key "${o.kid}" returned a signature its publicJwk does not verify as ${o.alg}: check that publicJwk is this key's public half and alg its algorithm`,
        )
      }
      checked = true
    }
    return signature
  }
}
