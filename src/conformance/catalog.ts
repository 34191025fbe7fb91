/**
 * The conformance tests, one per MUST or SHOULD of docs/protocol.md: id, level, section, what a
 * failure means and how to fix it. The one list the runner, the report and docs/conformance.md
 * follow.
 * @module
 */

/** BCP 14 level of the rule a test checks. */
export type ConformanceLevel = 'MUST' | 'SHOULD'

/** One conformance test. */
export interface ConformanceTestSpec {
  readonly id: string
  readonly title: string
  readonly level: ConformanceLevel
  /** The docs/protocol.md section, e.g. `§5.4`. */
  readonly section: string
  /** What to change on the provider when the test fails. */
  readonly fix: string
  /** Runs only with `destructive: true` (it can end the grant it tests). */
  readonly destructive?: true
}

const t = (
  id: string,
  level: ConformanceLevel,
  section: string,
  title: string,
  fix: string,
  destructive?: true,
): ConformanceTestSpec => ({ id, level, section, title, fix, ...(destructive ? { destructive } : {}) })

/** Every test, in the order the suite runs them. */
export const CONFORMANCE_TESTS: readonly ConformanceTestSpec[] = [
  // §2 Discovery: the checks `ecis check` runs (src/cli/commands/check-metadata.ts).
  t('issuer.https', 'MUST', '§1', 'issuer is https', 'Serve the issuer over https (http only on loopback).'),
  t(
    'metadata.location',
    'MUST',
    '§2.1',
    'metadata document (RFC 8414 or OIDC)',
    'Serve RFC 8414 metadata at /.well-known/oauth-authorization-server.',
  ),
  t('metadata.content-type', 'MUST', '§2.1', 'metadata is application/json', 'Send Content-Type: application/json.'),
  t(
    'metadata.issuer',
    'MUST',
    '§2.1',
    'issuer matches exactly',
    'Make `issuer` equal the configured issuer, character for character.',
  ),
  t(
    'metadata.endpoints',
    'MUST',
    '§2.2',
    'authorization and token endpoints',
    'Publish authorization_endpoint and token_endpoint.',
  ),
  t('metadata.response-type', 'MUST', '§2.2', 'response type code', 'List "code" in response_types_supported.'),
  t('metadata.pkce', 'MUST', '§2.2', 'PKCE S256 advertised', 'List "S256" in code_challenge_methods_supported.'),
  t(
    'metadata.iss',
    'MUST',
    '§2.2',
    'RFC 9207 iss advertised',
    'Set authorization_response_iss_parameter_supported: true.',
  ),
  t(
    'metadata.private-key-jwt',
    'MUST',
    '§2.2',
    'private_key_jwt client authentication',
    'List "private_key_jwt" in token_endpoint_auth_methods_supported.',
  ),
  t(
    'metadata.par',
    'MUST',
    '§3.4',
    'pushed authorization requests (RFC 9126)',
    'Publish pushed_authorization_request_endpoint when PAR is required.',
  ),
  t(
    'metadata.rar',
    'MUST',
    '§3.3',
    'authorization_details type eci (RFC 9396)',
    'List "eci" in authorization_details_types_supported when RAR is accepted.',
  ),
  t('metadata.revocation', 'SHOULD', '§2.2', 'revocation endpoint (RFC 7009)', 'Publish revocation_endpoint.'),
  t('eci.resource', 'MUST', '§2.3', 'eci_resource', 'Publish eci_resource: an absolute https URL without a fragment.'),
  t('sdk.rules', 'MUST', '§2', 'the SDK accepts this metadata', 'Fix the metadata member the detail names.'),
  t(
    'eci.request-types',
    'MUST',
    '§2.3',
    'eci_request_types_supported',
    'Publish eci_request_types_supported (basic, invoice, invoice_detail).',
  ),
  t(
    'eci.signing-algs',
    'MUST',
    '§2.3',
    'eci_request_signing_alg_values_supported',
    'Publish the accepted algs, never "none"; include ES256.',
  ),
  // §3 Authorization.
  t(
    'authz.consent',
    'MUST',
    '§3, §4.2',
    'consent completes: a code issued and exchanged for a grant',
    'Redirect back with code, state and iss; accept the code exchange (PKCE, private_key_jwt, resource).',
  ),
  t(
    'authz.pkce-required',
    'MUST',
    '§3.2',
    'PKCE S256 required',
    'Refuse authorization requests without code_challenge, or with a method other than S256, with invalid_request.',
  ),
  t(
    'authz.state',
    'MUST',
    '§3.5',
    'state echoed',
    'Return `state` unchanged in every authorization response, errors included.',
  ),
  t(
    'authz.iss',
    'MUST',
    '§3.5',
    'iss in the authorization response (RFC 9207)',
    'Add `iss` (the issuer) to every authorization response.',
  ),
  t(
    'authz.par-required',
    'MUST',
    '§3.4',
    'PAR enforced when required',
    'With require_pushed_authorization_requests, refuse authorization requests that carry no request_uri.',
  ),
  t(
    'authz.rar-invalid',
    'MUST',
    '§3.3',
    'invalid authorization_details refused',
    'Answer invalid_authorization_details when the eci object breaks §3.3.',
  ),
  // §4 Token.
  t(
    'token.invalid-grant',
    'MUST',
    '§4.2',
    'invalid_grant for unknown codes and refresh tokens',
    'Answer 400 with { "error": "invalid_grant" } for an unknown code or refresh token.',
  ),
  // §5 The ECI request: a valid request of each type, then each refusal.
  t(
    'eci.request.basic',
    'MUST',
    '§6.1',
    'Basic: a valid request answered, strictly valid',
    'Send every Basic field with its vocabulary type (docs/schema/basic.schema.json).',
  ),
  t(
    'eci.request.invoice',
    'MUST',
    '§6.1',
    'Invoice: a valid request answered, strictly valid',
    'Send every Invoice field with its vocabulary type (docs/schema/invoice.schema.json).',
  ),
  t(
    'eci.request.invoice_detail',
    'MUST',
    '§6.1',
    'Invoice Detail: a valid request answered, strictly valid',
    'Send every Invoice Detail field (docs/schema/invoice-detail.schema.json).',
  ),
  t(
    'eci.jwt.expired',
    'MUST',
    '§5.4',
    'an expired request JWT refused',
    'Check exp (tolerance ≤ 60 s): 400 invalid_request_jwt.',
  ),
  t(
    'eci.jwt.not-yet-valid',
    'MUST',
    '§5.4',
    'a request JWT issued in the future refused',
    'Check iat is not in the future (tolerance ≤ 60 s): 400 invalid_request_jwt.',
  ),
  t(
    'eci.jwt.too-long',
    'MUST',
    '§5.4',
    'a request JWT living over 300 s refused',
    'Check 0 < exp − iat ≤ 300: 400 invalid_request_jwt.',
  ),
  t(
    'eci.jwt.wrong-aud',
    'MUST',
    '§5.4',
    'a request JWT for another audience refused',
    'Check aud equals the eci_resource exactly: 400 invalid_request_jwt.',
  ),
  t(
    'eci.jwt.wrong-iss',
    'MUST',
    '§5.4',
    "a request JWT whose iss is not the token's client refused",
    'Check iss equals the client the token was issued to: 400 invalid_request_jwt.',
  ),
  t(
    'eci.jwt.wrong-ath',
    'MUST',
    '§5.4',
    'a request JWT bound to another access token refused',
    'Check ath against the presented access token: 400 invalid_request_jwt.',
  ),
  t(
    'eci.jwt.short-jti',
    'MUST',
    '§5.4',
    'a jti under 128 bits refused',
    'Refuse a jti shorter than 22 characters: 400 invalid_request_jwt.',
  ),
  t(
    'eci.jwt.wrong-typ',
    'MUST',
    '§5.2',
    'a typ other than eci-request+jwt refused',
    'Check typ is exactly eci-request+jwt: 400 invalid_request_jwt.',
  ),
  t(
    'eci.jwt.replayed-jti',
    'MUST',
    '§5.4',
    'a replayed request JWT refused',
    'Remember accepted jtis per client until exp + tolerance; refuse a repeat: 400 invalid_request_jwt.',
  ),
  t(
    'eci.jwt.unsigned',
    'MUST',
    '§5.4',
    'a request JWT without a signature refused',
    'Verify the signature of every request JWT: 400.',
  ),
  t(
    'eci.jwt.alg-none',
    'MUST',
    '§5.2',
    'alg "none" refused',
    'Accept only the algs of eci_request_signing_alg_values_supported, never none: 400.',
  ),
  t(
    'eci.jwt.wrong-key',
    'MUST',
    '§5.4',
    'a request JWT signed by an unregistered key refused',
    "Verify with the client's registered key named by kid: 400 invalid_request_jwt.",
  ),
  t(
    'eci.jwt.embedded-key',
    'MUST',
    '§5.2',
    'a key carried in the JWS header (jwk) refused',
    'Refuse jku, jwk, x5u, x5c and crit; never verify with a key from the request: 400 invalid_request_jwt.',
  ),
  t(
    'eci.claims.unknown-type',
    'MUST',
    '§5.4',
    'an unknown eci_request_type refused',
    'Answer 400 invalid_request for an eci_request_type you do not serve.',
  ),
  t(
    'eci.claims.missing-invoice',
    'MUST',
    '§5.3',
    'an invoice request without system_invoice_id refused',
    'Answer 400 invalid_request when system_invoice_id is missing.',
  ),
  t(
    'eci.token.invalid',
    'MUST',
    '§7.1',
    'a bad bearer token: 401 with WWW-Authenticate',
    'Answer 401 invalid_token with WWW-Authenticate: Bearer error="invalid_token".',
  ),
  t(
    'eci.scope',
    'MUST',
    '§7.1',
    'a request type outside the granted scope: 403 insufficient_scope',
    'Check the token scope allows the request type: 403 insufficient_scope.',
  ),
  t(
    'eci.foreign-account',
    'MUST',
    '§7.1',
    'an account outside the grant: 404, not 403',
    'Answer 404 not_found for accounts outside the grant, exactly as for unknown ones.',
  ),
  t(
    'eci.dpop.bearer',
    'MUST',
    '§4.6',
    'a DPoP-bound token presented as Bearer refused',
    'Refuse a DPoP-bound token without the DPoP scheme and a valid proof: 401.',
  ),
  t('eci.rate-limit', 'SHOULD', '§7.1', '429 carries Retry-After', 'Send Retry-After with every 429.'),
  t(
    'eci.no-store',
    'MUST',
    '§6.4',
    'responses carry Cache-Control: no-store',
    'Add Cache-Control: no-store to every ECI response.',
  ),
  t(
    'errors.body',
    'MUST',
    '§7.1',
    'error bodies are application/json { error, error_description }',
    'Answer every ECI error as application/json { "error", "error_description" }.',
  ),
  // §4 Token, last: these end or spend the grant.
  t('token.refresh-rotation', 'SHOULD', '§4.4', 'refresh tokens rotate', 'Issue a new refresh_token on every refresh.'),
  t(
    'token.refresh-reuse',
    'SHOULD',
    '§4.4',
    'the previous refresh token refused after rotation',
    'After the reuse window, refuse a rotated refresh token (invalid_grant) and revoke the grant.',
    true,
  ),
  t(
    'token.code-single-use',
    'MUST',
    '§3.5',
    'an authorization code redeemed once only',
    'Refuse a second redemption of a code with invalid_grant (and revoke what it issued).',
  ),
]

/** The spec of `id`. @throws when the id is not in the catalog (a programming error). */
export function specOf(id: string): ConformanceTestSpec {
  const spec = CONFORMANCE_TESTS.find((s) => s.id === id)
  if (!spec) throw new Error(`unknown conformance test ${id}`)
  return spec
}
