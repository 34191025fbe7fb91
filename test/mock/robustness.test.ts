import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { grant, ISSUER, RESOURCE, send, setup } from './helpers.js'

const text = fc.string({ maxLength: 200 })
const junkJwt = fc
  .tuple(text, text, text)
  .map(([a, b, c]) => `${btoa(a).replace(/=/g, '')}.${btoa(b).replace(/=/g, '')}.${c}`)

describe('mock provider robustness', () => {
  it('answers arbitrary form posts to token, PAR and revocation with a 4xx JSON error, never a crash', async () => {
    const { provider } = await setup()
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/token', '/par', '/revoke'),
        fc.dictionary(
          fc.constantFrom(
            'grant_type',
            'code',
            'client_id',
            'client_assertion',
            'client_assertion_type',
            'refresh_token',
            'token',
            'redirect_uri',
            'code_verifier',
            'authorization_details',
            'scope',
            'resource',
          ),
          fc.oneof(
            text,
            junkJwt,
            fc.constant('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'),
            fc.constant('authorization_code'),
          ),
        ),
        async (path, form) => {
          const res = await send(provider, `${ISSUER}${path}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(form),
          })
          expect(res.status).toBeGreaterThanOrEqual(400)
          expect(res.status).toBeLessThan(500)
          expect(typeof (await res.json()).error).toBe('string')
        },
      ),
      { numRuns: 60 },
    )
  })

  it('answers arbitrary ECI requests with a 4xx JSON error, never a crash', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(text, junkJwt),
        fc.constantFrom(`Bearer ${access_token}`, `DPoP ${access_token}`, 'Bearer', '', `Basic ${access_token}`),
        fc.option(fc.oneof(text, junkJwt), { nil: undefined }),
        async (body, authorization, dpop) => {
          const headers: Record<string, string> = { 'Content-Type': 'application/jwt', Authorization: authorization }
          if (dpop !== undefined) headers.DPoP = dpop
          let res: Response
          try {
            res = await send(s.provider, RESOURCE, { method: 'POST', headers, body })
          } catch (error) {
            // A header value the Fetch API itself refuses never reaches the provider.
            expect(error).toBeInstanceOf(TypeError)
            return
          }
          expect([400, 401]).toContain(res.status)
          expect(typeof (await res.json()).error).toBe('string')
        },
      ),
      { numRuns: 60 },
    )
  })

  it('answers arbitrary authorization requests with a redirect or a 400 page, never a crash', async () => {
    const { provider } = await setup()
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            'response_type',
            'client_id',
            'redirect_uri',
            'code_challenge',
            'code_challenge_method',
            'scope',
            'authorization_details',
            'request_uri',
            'resource',
            'state',
          ),
          fc.oneof(
            text,
            fc.constant('acme-solar'),
            fc.constant('https://acme.example/eci/callback'),
            fc.constant('code'),
          ),
        ),
        async (params) => {
          const res = await send(provider, `${ISSUER}/authorize?${new URLSearchParams(params)}`)
          expect([302, 400]).toContain(res.status)
        },
      ),
      { numRuns: 80 },
    )
  })
})
