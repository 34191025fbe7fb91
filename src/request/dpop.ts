/**
 * DPoP proofs (RFC 9449) for every request that carries one — ECI calls, token and PAR requests:
 * a fresh proof per attempt, bound to the access token through `ath`, with the provider's latest
 * nonce. The key is a local key pair, a private JWK or a `RemoteSigner`; one prover per key, and
 * a consumer's provers share the nonces the provider handed out.
 * @module
 */
import type { JWK } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { EciConfigError, ErrorCode } from '../errors.js'
import { type ResolvedSigningKey, resolveSigningKey } from './keys.js'
import { isRemoteSigner, publicMembers, type RemoteSigner } from './remote-signer.js'
import { accessTokenHash, newJti, signCompactJws } from './sign.js'

/** A DPoP key: `true` (a new in-memory key), a key pair, a private JWK or a remote signer. */
export type DpopKeyInput = true | CryptoKeyPair | JsonWebKey | RemoteSigner

/** Signs DPoP proofs with one key. @internal */
export interface DpopProver {
  /** RFC 7638 thumbprint of the public key (`cnf.jkt`, `dpop_jkt`). */
  readonly jkt: string
  /** A proof for one HTTP request. */
  proof(input: { htm: string; htu: string; accessToken?: string | undefined; now: number }): Promise<string>
  /** Remembers a `DPoP-Nonce` the server at `url` sent. */
  observe(url: string, response: Response): void
}

function isKeyPair(key: unknown): key is CryptoKeyPair {
  const pair = key as CryptoKeyPair
  return typeof pair?.privateKey === 'object' && typeof pair.publicKey === 'object'
}

/** The signing key and public JWK of a DPoP key input. */
async function dpopKey(input: DpopKeyInput): Promise<{ key: ResolvedSigningKey; publicJwk: JWK }> {
  const pair = input === true ? ((await generateKeyPair('ES256')) as CryptoKeyPair) : input
  if (isKeyPair(pair)) {
    if (!pair.publicKey.extractable) {
      throw new EciConfigError(ErrorCode.INVALID_KEY, 'The DPoP key pair needs an extractable public key')
    }
    const publicJwk = publicMembers(await exportJWK(pair.publicKey))
    const jkt = await calculateJwkThumbprint(publicJwk)
    return { key: await resolveSigningKey(pair.privateKey, undefined, jkt), publicJwk }
  }
  if (!isRemoteSigner(pair) && typeof (pair as JWK | null)?.d !== 'string') {
    throw new EciConfigError(
      ErrorCode.INVALID_KEY,
      'A DPoP key must be a private JWK, a CryptoKeyPair or a RemoteSigner (a public JWK cannot sign)',
    )
  }
  const key = await resolveSigningKey(pair as JWK | RemoteSigner)
  return { key, publicJwk: key.publicJwk as JWK }
}

/**
 * Seconds a proof's `iat` is set back. A server may refuse an `iat` ahead of its own clock with no
 * leeway (Glewlwyd by default), and its clock can trail ours by a few milliseconds — another
 * machine's NTP, or a coarse `time()` on the same one: proofs signed in that sliver of a second
 * were refused (1 code exchange in 80 against Glewlwyd 2.7 here). A second back stays well inside
 * every server's window for past proofs (RFC 9449 §11.1).
 */
const IAT_BACKDATE_S = 1

/** Nonces per origin, shared by a consumer's provers (a nonce belongs to the server, not to a key). */
export type DpopNonces = Map<string, string>

/** Creates the prover of one DPoP key. @throws {EciConfigError} `ERR_ECI_INVALID_KEY` @internal */
export async function createDpopProver(input: DpopKeyInput, nonces: DpopNonces = new Map()): Promise<DpopProver> {
  const { key, publicJwk } = await dpopKey(input)
  const jkt = await calculateJwkThumbprint(publicJwk)
  const header = { alg: key.alg, typ: 'dpop+jwt', jwk: publicJwk }
  return {
    jkt,
    async proof({ htm, htu, accessToken, now }) {
      const target = new URL(htu)
      const payload: Record<string, string | number> = { htm, htu: `${target.origin}${target.pathname}`, jti: newJti() }
      if (accessToken) payload.ath = await accessTokenHash(accessToken)
      const nonce = nonces.get(target.origin)
      if (nonce) payload.nonce = nonce
      payload.iat = Math.floor(now) - IAT_BACKDATE_S
      return signCompactJws(header, payload, key)
    },
    observe(url, response) {
      const nonce = response.headers.get('dpop-nonce')
      if (nonce) nonces.set(new URL(url).origin, nonce)
    },
  }
}

/**
 * A consumer's DPoP keys, the one new tokens are bound to first (`dpop: { keys: [next, current] }`).
 * A grant bound to another listed key is proven with that key until a refresh binds the first.
 * @internal
 */
export class DpopKeyring {
  /** The key token and PAR requests prove, and new grants are bound to. */
  readonly first: DpopProver
  readonly #byJkt: ReadonlyMap<string, DpopProver>

  private constructor(provers: DpopProver[]) {
    this.first = provers[0] as DpopProver
    this.#byJkt = new Map(provers.map((p) => [p.jkt, p]))
  }

  /** Imports every key (a bad one fails here, at discovery). @throws {EciConfigError} */
  static async create(inputs: readonly DpopKeyInput[]): Promise<DpopKeyring> {
    const nonces: DpopNonces = new Map()
    return new DpopKeyring(await Promise.all(inputs.map((input) => createDpopProver(input, nonces))))
  }

  /** Whether a grant bound to `jkt` can be used. */
  has(jkt: string): boolean {
    return this.#byJkt.has(jkt)
  }

  /**
   * The prover of one session, and its `refresh` wrapped: proofs use the key the session's
   * current grant is bound to, and move on when a refresh returns a grant bound to another key
   * (also one rotated at the provider that the grant store refused: the session uses it anyway).
   */
  session<G extends { dpopJkt?: string | undefined }>(
    grant: G,
    refresh: (from: G) => Promise<G>,
  ): { prover: DpopProver; refresh: (from: G) => Promise<G> } {
    let current = this.#byJkt.get(grant.dpopJkt ?? '') ?? this.first
    const follow = (next: G) => {
      current = this.#byJkt.get(next.dpopJkt ?? '') ?? this.first
    }
    const prover: DpopProver = {
      get jkt() {
        return current.jkt
      },
      proof: (input) => current.proof(input),
      observe: (url, response) => current.observe(url, response),
    }
    return {
      prover,
      refresh: async (from) => {
        try {
          const next = await refresh(from)
          follow(next)
          return next
        } catch (error) {
          const rotated = (error as { grant?: G } | null)?.grant
          if (rotated) follow(rotated)
          throw error
        }
      },
    }
  }
}
