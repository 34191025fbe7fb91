/**
 * The OpenAPI 3.1 document of the ECIS wire profile v1: the ECI endpoint (POST application/jwt,
 * its responses and error statuses, protocol §5–§7) and the authorization server metadata with
 * the ECIS members (§2). Response bodies are the JSON Schemas of json-schema.ts; the request
 * JWT's header and claims and the metadata are zod schemas here, converted the same way.
 */
import * as z from 'zod'
import { REQUEST_TYPES } from '../../src/protocol/claims.js'
import type { JsonSchema } from './json-schema.js'

/** The protected header of a request JWT (§5.2). */
const RequestJwtHeader = z.object({
  alg: z.string().refine((a) => a !== 'none' && !a.startsWith('HS')),
  kid: z.string().min(1),
  typ: z.literal('eci-request+jwt'),
})

/** The claims of a request JWT (§5.3). */
const RequestJwtClaims = z.object({
  iss: z.string().min(1),
  aud: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
  jti: z.string().min(22),
  ath: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  eci_request_type: z.enum(REQUEST_TYPES),
  system_account_id: z.string().min(1),
  system_invoice_id: z.string().min(1).optional(),
})

const strings = z.array(z.string())

/** RFC 8414 metadata as ECIS uses it (§2.2), with the ECIS members (§2.3). */
const Metadata = z.looseObject({
  issuer: z.url(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url().optional(),
  response_types_supported: strings,
  grant_types_supported: strings.optional(),
  code_challenge_methods_supported: strings,
  token_endpoint_auth_methods_supported: strings,
  token_endpoint_auth_signing_alg_values_supported: strings.optional(),
  scopes_supported: strings.optional(),
  authorization_response_iss_parameter_supported: z.literal(true),
  authorization_details_types_supported: strings.optional(),
  pushed_authorization_request_endpoint: z.url().optional(),
  require_pushed_authorization_requests: z.boolean().optional(),
  revocation_endpoint: z.url().optional(),
  dpop_signing_alg_values_supported: strings.optional(),
  eci_resource: z.url(),
  eci_request_types_supported: z.array(z.enum(REQUEST_TYPES)),
  eci_request_signing_alg_values_supported: z.array(z.string().refine((a) => a !== 'none')).min(1),
})

const DESCRIPTIONS: Record<string, Record<string, string>> = {
  RequestJwtHeader: {
    alg: 'One of eci_request_signing_alg_values_supported; never none, never a MAC (HS*).',
    kid: 'A public key registered for the client.',
    typ: 'Exactly eci-request+jwt.',
  },
  RequestJwtClaims: {
    iss: "The consumer's client_id; equals the client the access token was issued to.",
    aud: 'The eci_resource, exactly.',
    iat: 'Time of signing (NumericDate, whole seconds).',
    exp: 'exp > iat and exp − iat ≤ 300 (consumers SHOULD use 60).',
    jti: 'At least 128 bits of randomness (22+ base64url characters); single use.',
    ath: 'BASE64URL(SHA-256(ASCII(access token))), no padding.',
    eci_request_type: 'The request type.',
    system_account_id: 'The account asked about.',
    system_invoice_id: 'Required for invoice and invoice_detail; absent for basic.',
  },
  AuthorizationServerMetadata: {
    authorization_response_iss_parameter_supported: 'MUST be true (RFC 9207).',
    code_challenge_methods_supported: 'MUST include S256.',
    token_endpoint_auth_methods_supported: 'MUST include private_key_jwt.',
    response_types_supported: 'MUST include code.',
    authorization_details_types_supported: 'Lists eci when the provider accepts authorization_details (RFC 9396).',
    eci_resource:
      'The ECI endpoint: an absolute https URL without fragment; the resource indicator and the request JWT audience.',
    eci_request_types_supported: 'The request types the endpoint serves.',
    eci_request_signing_alg_values_supported:
      'JWS alg values accepted for request JWTs; never none. SHOULD include ES256.',
  },
}

function component(schema: z.ZodType, title: string, description: string): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema
  delete json.$schema
  const properties = json.properties as Record<string, JsonSchema>
  for (const [name, text] of Object.entries(DESCRIPTIONS[title] ?? {})) {
    if (properties[name]) properties[name] = { ...properties[name], description: text }
  }
  return { title, description, ...json }
}

const error = (description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' }, ...headers },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
})

/** The OpenAPI document; `schemas` are the wire JSON Schemas by file name. */
export function openApiDocument(schemas: Record<string, JsonSchema>): JsonSchema {
  const embed = (file: string) => {
    const { $schema: _s, $id: _i, ...schema } = schemas[file] as JsonSchema
    return schema
  }
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
  return {
    openapi: '3.1.1',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'ECIS wire profile v1',
      version: '1.0.0',
      summary: 'The ECI endpoint of an ECI Provider and its authorization server metadata',
      description: `Machine-readable form of docs/protocol.md (normative), generated from the zod schemas of ecis-consumer. The OAuth 2.0 flows (authorization code + PKCE, PAR, private_key_jwt, refresh, revocation) are specified there and by their RFCs; this document covers what ECIS adds. Host names are examples: each provider publishes its own issuer and eci_resource.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'https://api.utility.example', description: 'The origin of the eci_resource (example)' }],
    paths: {
      '/eci/v1': {
        post: {
          operationId: 'eciRequest',
          summary: 'An ECI request (basic, invoice or invoice_detail)',
          description:
            'POST {eci_resource} with the request JWT as the whole body (§5). The response body depends on the eci_request_type claim: Basic, Invoice or InvoiceDetail. Every attempt, retries included, carries a new request JWT. Read-only: a provider changes no state because of one.',
          security: [{ bearer: [] }, { dpop: [] }],
          parameters: [
            {
              name: 'Accept',
              in: 'header',
              required: false,
              description: 'application/json; consumers that verify signed responses also list application/jwt (§6.3).',
              schema: { type: 'string', examples: ['application/json', 'application/json, application/jwt'] },
            },
            {
              name: 'DPoP',
              in: 'header',
              required: false,
              description:
                'A DPoP proof (htm POST, htu the eci_resource, ath) when the access token is DPoP-bound (§4.6).',
              schema: { type: 'string' },
            },
          ],
          requestBody: {
            required: true,
            description:
              'The request JWT, compact JWS serialization. Its protected header is RequestJwtHeader and its payload RequestJwtClaims.',
            content: {
              'application/jwt': {
                schema: {
                  type: 'string',
                  pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
                  contentMediaType: 'application/jwt',
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'The response object for the request type (§6.1), or a signed response (§6.3).',
              headers: {
                'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
                'Cache-Control': { description: 'no-store', schema: { type: 'string', const: 'no-store' } },
              },
              content: {
                'application/json': { schema: { oneOf: [ref('Basic'), ref('Invoice'), ref('InvoiceDetail')] } },
                'application/jwt': {
                  schema: {
                    type: 'string',
                    contentMediaType: 'application/jwt',
                    description:
                      "Only when Accept lists application/jwt: a JWS (typ eci-response+jwt) signed with a key of the provider's jwks_uri; its payload is the response object plus iss, aud (the client_id) and iat.",
                  },
                },
              },
            },
            '400': error(
              'invalid_request (method, Content-Type, body, request type, system_invoice_id) or invalid_request_jwt (header, signature, iss, aud, iat/exp, jti, ath).',
            ),
            '401': error(
              'invalid_token: the access token is missing, expired, revoked or malformed. Refresh once, then retry with a new request JWT.',
              {
                'WWW-Authenticate': {
                  required: true,
                  description: 'Bearer error="invalid_token" (DPoP error="invalid_token" for DPoP tokens).',
                  schema: { type: 'string' },
                },
              },
            ),
            '403': error('insufficient_scope: the grant lacks the scope for the request type.', {
              'WWW-Authenticate': {
                description: 'Bearer error="insufficient_scope", scope="eci:…"',
                schema: { type: 'string' },
              },
            }),
            '404': error(
              'not_found: the account is unknown or outside the grant, or the invoice is unknown or not the account’s; the same answer either way, so account ids cannot be probed.',
            ),
            '429': error('rate_limited: too many requests; retry after Retry-After.', {
              'Retry-After': {
                required: true,
                description: 'Delta-seconds or an HTTP-date.',
                schema: { type: 'string' },
              },
            }),
            '500': error('server_error; not retried.'),
            '502': error('temporarily_unavailable; retried with backoff.'),
            '503': error('temporarily_unavailable; retried with backoff (Retry-After may be sent).', {
              'Retry-After': { description: 'Delta-seconds or an HTTP-date.', schema: { type: 'string' } },
            }),
            '504': error('temporarily_unavailable; retried with backoff.'),
          },
        },
      },
      '/.well-known/oauth-authorization-server': {
        servers: [{ url: 'https://auth.utility.example', description: 'The issuer (example)' }],
        get: {
          operationId: 'authorizationServerMetadata',
          summary: 'Authorization server metadata (RFC 8414) with the ECIS members',
          description:
            "The well-known location is inserted between the issuer's host and path (§2.1); consumers fall back to /.well-known/openid-configuration. issuer MUST equal the configured issuer exactly.",
          security: [],
          responses: {
            '200': {
              description: 'The metadata document.',
              content: { 'application/json': { schema: ref('AuthorizationServerMetadata') } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        Basic: embed('basic.schema.json'),
        Invoice: embed('invoice.schema.json'),
        InvoiceDetail: embed('invoice-detail.schema.json'),
        ErrorBody: embed('error.schema.json'),
        RequestJwtHeader: component(
          RequestJwtHeader,
          'RequestJwtHeader',
          'The protected header of a request JWT (§5.2); jku, jwk, x5u, x5c and crit are forbidden.',
        ),
        RequestJwtClaims: {
          ...component(
            RequestJwtClaims,
            'RequestJwtClaims',
            'The claims of a request JWT (§5.3); other claims may be present and are ignored.',
          ),
          // system_invoice_id: required for invoice and invoice_detail, absent for basic.
          oneOf: [
            { properties: { eci_request_type: { const: 'basic' } }, not: { required: ['system_invoice_id'] } },
            {
              properties: { eci_request_type: { enum: ['invoice', 'invoice_detail'] } },
              required: ['system_invoice_id'],
            },
          ],
        },
        AuthorizationServerMetadata: component(
          Metadata,
          'AuthorizationServerMetadata',
          'RFC 8414 metadata as ECIS requires it (§2.2) with the ECIS members (§2.3).',
        ),
      },
      headers: {
        'X-Request-Id': {
          description: 'A unique id of the request (§6.4); consumers show it in errors.',
          schema: { type: 'string' },
        },
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The access token from the token endpoint (RFC 6750).' },
        dpop: {
          type: 'http',
          scheme: 'dpop',
          description: 'A DPoP-bound access token with a DPoP proof header (RFC 9449).',
        },
      },
    },
  }
}
