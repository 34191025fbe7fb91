/** Hostile metadata documents, through `EciConsumer.discover` and the consent entry's `beginConsent`. */
import { expect } from 'vitest'
import { type EciHttpError, type EciNetworkError, ErrorCode } from '../../../src/index.js'
import {
  type Behaviour,
  cutOff,
  endless,
  giant,
  gzipBomb,
  json,
  never,
  redirect,
  resetBeforeHeaders,
  text,
  trickle,
} from '../../support/hostile-server.js'
import type { Area, FaultCase, World } from '../harness.js'
import { consentEntry, discover, HTTPS_ISSUER, httpsFetch, metadataAt, metadataBehaviour } from '../provider.js'

type Entry = 'discover' | 'consent entry'

/** Runs the entry's metadata fetch: `EciConsumer.discover`, or the consent entry's `beginConsent`. */
function entry(which: Entry, w: World, options: { https?: boolean; timeout?: number } = {}) {
  const https = options.https === true
  const common = {
    ...(https ? { issuer: HTTPS_ISSUER, fetch: httpsFetch(w), allowInsecureRequests: false } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
  }
  w.start()
  return which === 'discover' ? discover(w, common) : consentEntry(w, common)
}

const areaOf = (which: Entry): Area => (which === 'discover' ? 'metadata' : 'consent entry')

/** A metadata document at the RFC 8414 location (`https` serves it for the https issuer). */
function document(w: World, over: Record<string, unknown>, https = false): void {
  w.server.on(
    '/.well-known/oauth-authorization-server',
    json(200, metadataAt(https ? HTTPS_ISSUER : w.server.url, over)),
  )
}

const badMetadata = (attempts?: number): FaultCase['expect'] => ({
  outcome: 'EciConfigError',
  code: ErrorCode.INVALID_METADATA,
  ...(attempts !== undefined ? { attempts } : {}),
})

/** Cases both entries must pass the same way. */
function shared(which: Entry): FaultCase[] {
  const area = areaOf(which)
  const both = (
    name: string,
    did: string,
    behaviour: Behaviour,
    expect: FaultCase['expect'],
    limitMs?: number,
  ): FaultCase => ({
    area,
    name,
    did,
    expect,
    run: (w) => {
      metadataBehaviour(w, behaviour)
      return entry(which, w)
    },
    ...(limitMs ? { limitMs } : {}),
  })
  const invalid = { outcome: 'EciHttpError', code: ErrorCode.INVALID_RESPONSE } as const
  const timeout = { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT } as const
  const members = (
    name: string,
    did: string,
    over: (w: World) => Record<string, unknown>,
    https = false,
  ): FaultCase => ({
    area,
    name,
    did,
    expect: badMetadata(),
    run: (w) => {
      document(w, over(w), https)
      return entry(which, w, { https })
    },
  })
  return [
    members('wrong issuer', 'issuer: another server', () => ({ issuer: 'https://evil.example' })),
    {
      area,
      name: 'issuer path with a trailing slash',
      did: 'issuer …/tenant/ for …/tenant',
      expect: badMetadata(1),
      run: (w) => {
        const issuer = `${w.server.url}/tenant`
        w.server.on(
          '/.well-known/oauth-authorization-server/tenant',
          json(200, metadataAt(issuer, { issuer: `${issuer}/` })),
        )
        w.start()
        return which === 'discover' ? discover(w, { issuer }) : consentEntry(w, { issuer })
      },
    },
    members(
      'http endpoint, https issuer',
      'authorization_endpoint http://',
      () => ({
        authorization_endpoint: 'http://idp.hostile.test/authorize',
      }),
      true,
    ),
    members('javascript: endpoint', 'authorization_endpoint javascript:', () => ({
      authorization_endpoint: 'javascript:alert(1)',
    })),
    members('no S256', 'code_challenge_methods_supported: [plain]', () => ({
      code_challenge_methods_supported: ['plain'],
    })),
    members('requires PAR without an endpoint', 'require_pushed_authorization_requests, no endpoint', () => ({
      require_pushed_authorization_requests: true,
    })),
    members('eci_resource not a URL', 'eci_resource: "eci"', () => ({ eci_resource: 'eci' })),
    both('giant, declared', 'Content-Length: 200 MB', giant(200 * 1024 * 1024), invalid),
    both('giant, chunked', '20 MB chunked', giant(20 * 1024 * 1024, { declare: false }), invalid),
    both('endless', 'chunked spaces without end', endless, invalid),
    both('gzip bomb', '270 kB gzip → 256 MB', gzipBomb(), invalid, 5000),
    both('trickled', '200 headers, then 1 byte / 50 ms', trickle(50), timeout),
    both('never answers', 'never answers', never, timeout),
    both('not JSON', '200 text/html', text(200, 'text/html', '<html>hi</html>'), invalid),
    both('bad JSON', '200 application/json {"issuer":', text(200, 'application/json', '{"issuer":'), invalid),
    both('404 everywhere', '404 at both locations', json(404, { error: 'not_found' }), {
      outcome: 'EciHttpError',
      code: ErrorCode.HTTP_ERROR,
      attempts: 2,
      check: (e) => expect((e as EciHttpError).status).toBe(404),
    }),
    both('reset', 'TCP reset on request', resetBeforeHeaders, { outcome: 'EciNetworkError', code: ErrorCode.NETWORK }),
    both('cut off', 'Content-Length 5000, 21 bytes, close', cutOff(), {
      outcome: 'EciNetworkError',
      code: ErrorCode.NETWORK,
    }),
  ]
}

export const metadataCases: FaultCase[] = [
  ...shared('discover'),
  {
    area: 'metadata',
    name: 'http jwks_uri, https issuer',
    did: 'jwks_uri http://',
    expect: badMetadata(),
    run: (w) => {
      document(w, { jwks_uri: 'http://idp.hostile.test/jwks' }, true)
      return entry('discover', w, { https: true })
    },
  },
  {
    area: 'metadata',
    name: 'http eci_resource, https issuer',
    did: 'eci_resource http://',
    expect: badMetadata(),
    run: (w) => {
      document(w, { eci_resource: 'http://idp.hostile.test/eci' }, true)
      return entry('discover', w, { https: true })
    },
  },
  {
    area: 'metadata',
    name: 'no eci_resource',
    did: 'no eci_resource, no resource option',
    expect: badMetadata(),
    run: (w) => {
      document(w, { eci_resource: undefined })
      return entry('discover', w)
    },
  },
  {
    area: 'metadata',
    name: 'JSON array',
    did: '200 [metadata]',
    expect: { outcome: 'EciHttpError', code: ErrorCode.INVALID_RESPONSE },
    run: (w) => {
      metadataBehaviour(w, (req, res, body) => json(200, [metadataAt(w.server.url)])(req, res, body))
      return entry('discover', w)
    },
  },
  {
    area: 'metadata',
    name: '503 storm',
    did: '503 Retry-After: 0 at both locations',
    expect: { outcome: 'EciHttpError', code: ErrorCode.HTTP_ERROR, attempts: 6 },
    run: (w) => {
      metadataBehaviour(w, json(503, {}, { 'retry-after': '0' }))
      return entry('discover', w)
    },
  },
  {
    area: 'metadata',
    name: '503 with Retry-After: 3600',
    did: '503 Retry-After: 3600',
    expect: {
      outcome: 'EciHttpError',
      code: ErrorCode.HTTP_ERROR,
      attempts: 2,
      check: (e) => expect((e as EciHttpError).retryAfter).toBe(3600),
    },
    run: (w) => {
      metadataBehaviour(w, json(503, {}, { 'retry-after': '3600' }))
      return entry('discover', w)
    },
  },
  {
    area: 'metadata',
    name: 'redirect to another origin',
    did: '302 to a copy on another origin',
    expect: {
      outcome: 'EciHttpError',
      code: ErrorCode.UNEXPECTED_REDIRECT,
      attempts: {
        '/.well-known/oauth-authorization-server': 1,
        '/.well-known/openid-configuration': 1,
        'other origin /meta': 0,
      },
    },
    run: (w) => {
      w.other.on('/meta', json(200, metadataAt(w.server.url)))
      metadataBehaviour(w, redirect(302, `${w.other.url}/meta`))
      return entry('discover', w)
    },
  },
  {
    area: 'metadata',
    name: 'unreachable issuer names the cause',
    did: 'nothing listens',
    expect: {
      outcome: 'EciNetworkError',
      code: ErrorCode.NETWORK,
      check: (e) => {
        expect((e as EciNetworkError).rootCause).toBe('ECONNREFUSED')
        expect((e as EciNetworkError).message).toContain('ECONNREFUSED')
      },
    },
    run: async (w) => {
      const { closedPort } = await import('../../hostile/support.js')
      const port = await closedPort()
      w.start()
      return discover(w, { issuer: `http://127.0.0.1:${port}` })
    },
  },
  ...shared('consent entry'),
  {
    area: 'consent entry',
    name: 'redirect to another origin',
    did: '302 to a copy on another origin',
    // fetch follows redirects in the browser entry; the copy must still name our issuer.
    expect: { outcome: 'ok', attempts: { 'other origin /meta': 1 } },
    run: async (w) => {
      w.other.on('/meta', json(200, metadataAt(w.server.url)))
      metadataBehaviour(w, redirect(302, `${w.other.url}/meta`))
      w.start()
      const { url } = await consentEntry(w)
      return { host: new URL(url).host }
    },
  },
]
