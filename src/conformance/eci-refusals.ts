/**
 * The refusals the ECI endpoint owes (protocol §5.4, §7.1): each request is the control request
 * (one the provider answered) changed in exactly one way.
 * @module
 */
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import type { EciRequestClaims } from '../protocol/claims.js'
import { type ResolvedSigningKey, resolveSigningKey } from '../request/keys.js'
import { MAX_REQUEST_JWT_TTL, newJti } from '../request/sign.js'
import { claimsOf, type EciContext } from './eci-valid.js'
import { fail, type Outcome, pass, refusal, skip } from './runner.js'
import { evidenceOf, type JwtParts } from './wire.js'

const JWT_ERRORS = ['invalid_request_jwt'] as const
/** A JWS without a usable signature may fail the parse (§5.4 step 2) or the header check (step 3). */
const UNSIGNED_ERRORS = ['invalid_request_jwt', 'invalid_request'] as const
/** Seconds a time claim is moved past the largest tolerance a provider may allow (60 s). */
const PAST_TOLERANCE = 600

/** A change to the control request's parts. */
type Change = (parts: JwtParts) => void | Promise<void>

/** A key pair of the client's algorithm that no registration knows. */
async function strangerKey(alg: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'Ed25519' ? 'EdDSA' : alg, { extractable: true })
  return { privateKey: privateKey as CryptoKey, publicJwk: await exportJWK(publicKey) }
}

/** The request-JWT refusals, each a one-claim or one-header change to a signed control request. */
async function jwtRefusals(c: EciContext, control: EciRequestClaims): Promise<void> {
  const { eci, refusals } = c
  const presented = c.presented
  // A stranger's key under the client's own kid and algorithm: wrong in the signature only.
  const asClientKey = (key: CryptoKey) => resolveSigningKey(key, eci.key.alg, eci.key.kid)
  const changed = async (change: Change, options: { unsigned?: boolean; key?: ResolvedSigningKey } = {}) => {
    const parts = await eci.parts(control, presented.accessToken)
    await change(parts)
    return eci.post(options.unsigned ? eci.unsigned(parts) : await eci.sign(parts, options.key), presented)
  }
  const jwtTest = (id: string, change: Change) =>
    c.runner.run(id, async () => refusal(await changed(change), 400, JWT_ERRORS, refusals))

  await jwtTest('eci.jwt.expired', (p) => {
    p.payload.iat = (p.payload.iat as number) - PAST_TOLERANCE - 60
    p.payload.exp = (p.payload.iat as number) + 60
  })
  await jwtTest('eci.jwt.not-yet-valid', (p) => {
    p.payload.iat = (p.payload.iat as number) + PAST_TOLERANCE
    p.payload.exp = (p.payload.iat as number) + 60
  })
  await jwtTest('eci.jwt.too-long', (p) => {
    p.payload.exp = (p.payload.iat as number) + MAX_REQUEST_JWT_TTL * 12
  })
  await jwtTest('eci.jwt.wrong-aud', (p) => {
    p.payload.aud = `${eci.resource.replace(/\/+$/, '')}/other`
  })
  await jwtTest('eci.jwt.wrong-iss', (p) => {
    p.payload.iss = `${eci.clientId}-other`
  })
  await jwtTest('eci.jwt.wrong-ath', async (p) => {
    p.payload.ath = (await eci.parts(control, `${presented.accessToken}-other`)).payload.ath
  })
  await jwtTest('eci.jwt.short-jti', (p) => {
    p.payload.jti = newJti().slice(0, 10)
  })
  await jwtTest('eci.jwt.wrong-typ', (p) => {
    p.header.typ = 'JWT'
  })
  await c.runner.run('eci.jwt.replayed-jti', async () => {
    const jwt = await eci.sign(await eci.parts(control, presented.accessToken))
    const first = await eci.post(jwt, presented)
    if (first.status !== 200) return skip(`the first sending was refused too (${first.status}); see eci.request.*`)
    return refusal(await eci.post(jwt, presented), 400, JWT_ERRORS, refusals)
  })
  await c.runner.run('eci.jwt.unsigned', async () =>
    refusal(await changed(() => {}, { unsigned: true }), 400, UNSIGNED_ERRORS, refusals),
  )
  await c.runner.run('eci.jwt.alg-none', async () =>
    refusal(
      await changed(
        (p) => {
          p.header.alg = 'none'
        },
        { unsigned: true },
      ),
      400,
      UNSIGNED_ERRORS,
      refusals,
    ),
  )
  await c.runner.run('eci.jwt.wrong-key', async () => {
    const stranger = await strangerKey(eci.key.alg)
    return refusal(await changed(() => {}, { key: await asClientKey(stranger.privateKey) }), 400, JWT_ERRORS, refusals)
  })
  await c.runner.run('eci.jwt.embedded-key', async () => {
    const stranger = await strangerKey(eci.key.alg)
    const embed: Change = (p) => {
      p.header.jwk = stranger.publicJwk
    }
    return refusal(await changed(embed, { key: await asClientKey(stranger.privateKey) }), 400, JWT_ERRORS, refusals)
  })
}

/** The ECIS-claim refusals (§5.4 step 9): unknown type, missing invoice id. */
async function claimRefusals(c: EciContext, control: EciRequestClaims, invoice: string | undefined): Promise<void> {
  const { eci, refusals } = c
  const presented = c.presented
  const send = async (payload: Record<string, unknown>) => {
    const parts = await eci.parts(control, presented.accessToken)
    delete parts.payload.system_invoice_id
    Object.assign(parts.payload, payload)
    return eci.post(await eci.sign(parts), presented)
  }
  await c.runner.run('eci.claims.unknown-type', async () =>
    refusal(await send({ eci_request_type: 'meter_readings' }), 400, ['invalid_request'], refusals),
  )
  await c.runner.run('eci.claims.missing-invoice', async () => {
    if (invoice === undefined) return skip('no invoice id: the Basic failed or lists none')
    return refusal(await send({ eci_request_type: 'invoice' }), 400, ['invalid_request'], refusals)
  })
}

/** Access refusals: a bad token, a scope not granted, an account outside the grant, DPoP. */
async function accessRefusals(c: EciContext, control: EciRequestClaims, invoice: string | undefined): Promise<void> {
  const { eci, refusals } = c
  await c.runner.run('eci.token.invalid', async () => {
    const token = `conformance-${newJti()}${newJti()}`
    const parts = await eci.parts(control, token)
    const answer = await eci.post(await eci.sign(parts), { accessToken: token, dpop: undefined })
    const outcome = refusal(answer, 401, ['invalid_token'], refusals)
    if (outcome.status !== 'pass') return outcome
    const www = answer.headers.get('www-authenticate') ?? ''
    if (!/^\s*(Bearer|DPoP)\b/i.test(www) || !/error="?invalid_token"?/i.test(www)) {
      return fail('401 without WWW-Authenticate: Bearer error="invalid_token"', evidenceOf(answer))
    }
    return outcome
  })
  await c.runner.run('eci.scope', async () => {
    const missing = (['invoice_detail', 'invoice', 'basic'] as const).find((t) => !c.granted.includes(t))
    let token = c.presented
    let type = missing
    if (type === undefined) {
      type = 'invoice_detail'
      const narrowed = await c.narrower(['basic'])
      if (typeof narrowed === 'string') return skip(narrowed)
      token = narrowed
    }
    if (type !== 'basic' && invoice === undefined) return skip('no invoice id: the Basic failed or lists none')
    const claims = claimsOf(type, control.system_account_id, invoice)
    try {
      return refusal(await eci.valid(claims, token), 403, ['insufficient_scope'], refusals)
    } finally {
      await c.restore()
    }
  })
  await c.runner.run('eci.foreign-account', async () => {
    const unknown = await eci.valid(claimsOf('basic', `conformance-${newJti()}`, undefined), c.presented)
    const outcome = refusal(unknown, 404, ['not_found'], refusals)
    if (outcome.status !== 'pass') return { ...outcome, reason: `an unknown account: ${outcome.reason}` }
    if (c.foreignAccount === undefined) {
      return pass(
        evidenceOf(unknown),
        'only an unknown account id was probed: name an existing account outside the grant (foreignAccount) to test the probing rule',
      )
    }
    const foreign = await eci.valid(claimsOf('basic', c.foreignAccount, undefined), c.presented)
    const judged = refusal(foreign, 404, ['not_found'], refusals)
    return judged.status === 'pass' ? judged : { ...judged, reason: `an account outside the grant: ${judged.reason}` }
  })
  await c.runner.run('eci.dpop.bearer', async () => {
    if (!c.presented.dpop) return skip('the grant is not DPoP-bound')
    const parts = await eci.parts(control, c.presented.accessToken)
    return refusal(
      await eci.post(await eci.sign(parts), c.presented, { scheme: 'Bearer' }),
      401,
      ['invalid_token', 'invalid_dpop_proof'],
      refusals,
    )
  })
}

/** SHOULD: a provoked 429 carries `Retry-After` (delta-seconds or an HTTP-date). */
async function rateLimitTest(c: EciContext, control: EciRequestClaims): Promise<void> {
  await c.runner.run('eci.rate-limit', async (): Promise<Outcome> => {
    if (c.rateLimitBurst <= 0)
      return skip('not provoked: allow a burst of requests (rateLimitBurst, --rate-limit-burst N)')
    for (let i = 1; i <= c.rateLimitBurst; i++) {
      const answer = await c.eci.valid(control, c.presented)
      if (answer.status !== 429) continue
      c.refusals.push(answer)
      const value = answer.headers.get('retry-after')?.trim() ?? ''
      const valid = /^\d+$/.test(value) || !Number.isNaN(Date.parse(value))
      const evidence = evidenceOf(answer, `429 after ${i} requests`)
      return valid && value ? pass(evidence) : fail('429 without a valid Retry-After', evidence)
    }
    return skip(`no 429 within ${c.rateLimitBurst} requests`)
  })
}

/** Every ECI refusal test, in catalog order; skipped together when no request was answered. */
export async function eciRefusals(c: EciContext, control: EciRequestClaims | undefined, invoice: string | undefined) {
  if (!control) {
    const why = 'no valid request was answered (see eci.request.*): a refusal would prove nothing'
    for (const id of REFUSAL_IDS) c.runner.record(id, skip(why))
    return
  }
  await jwtRefusals(c, control)
  await claimRefusals(c, control, invoice)
  await accessRefusals(c, control, invoice)
  await rateLimitTest(c, control)
}

/** The ids {@link eciRefusals} reports. */
export const REFUSAL_IDS = [
  'eci.token.invalid',
  'eci.jwt.expired',
  'eci.jwt.not-yet-valid',
  'eci.jwt.too-long',
  'eci.jwt.wrong-aud',
  'eci.jwt.wrong-iss',
  'eci.jwt.wrong-ath',
  'eci.jwt.short-jti',
  'eci.jwt.wrong-typ',
  'eci.jwt.replayed-jti',
  'eci.jwt.unsigned',
  'eci.jwt.alg-none',
  'eci.jwt.wrong-key',
  'eci.jwt.embedded-key',
  'eci.claims.unknown-type',
  'eci.claims.missing-invoice',
  'eci.scope',
  'eci.foreign-account',
  'eci.dpop.bearer',
  'eci.rate-limit',
]
