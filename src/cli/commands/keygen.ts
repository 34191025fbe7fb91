/**
 * `ecis keygen`: a key pair for the client. The private key goes to a file only the user may
 * read (mode 0600); the public JWKS, what a utility registers for the client, goes to stdout.
 */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { JWK } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { exportJWK, exportPKCS8 } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { EciConfigError, ErrorCode } from '../../errors.js'
import { publicJwks } from '../../request/jwks.js'
import { resolveSigningKey } from '../../request/keys.js'
import { integer, oneOf, parse, positionals } from '../args.js'
import { type CliIo, json, line, UsageError } from '../io.js'
import { readPrivateKey, rememberKey } from '../keys.js'
import { writePrivateFile } from '../private-file.js'

/** The algorithms keygen makes keys for (the SDK signs with each). */
export const KEYGEN_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'PS384', 'PS512', 'RS256'] as const
type KeygenAlgorithm = (typeof KEYGEN_ALGORITHMS)[number]

export const KEYGEN_USAGE = `Usage: ecis keygen [--alg ALG] [--out FILE] [--format jwk|pem] [options]
       ecis keygen --rotate CURRENT_KEY [--out FILE] [options]

Makes a key pair for your client: writes the private key to FILE (mode 0600) and prints the
public JWKS on stdout — register it with the utility (ECI Provider) for your client_id. The
key signs client assertions (private_key_jwt) and ECI request JWTs; pass it to
"ecis consent --key FILE".

Options:
  --alg ALG                ES256 (default: EC P-256), ES384, ES512, EdDSA (Ed25519),
                           PS256, PS384, PS512 or RS256 (RSA)
  --bits N                 RSA modulus length, 2048-4096 (default 3072)
  --out FILE               the private key file (default ecis-key.jwk, or ecis-key.pem with
                           --format pem); an existing file is kept unless --force
  --format jwk|pem         jwk (default: a private JWK with kid and alg) or pem (PKCS8)
  --kid ID                 the key id (default: the key's RFC 7638 thumbprint, which is also
                           what the SDK uses for a key without kid)
  --jwks-out FILE          also write the public JWKS to FILE
  --force                  replace an existing --out file
  --rotate CURRENT_KEY     make the next key for a rotation (same algorithm as CURRENT_KEY
                           unless --alg; --out defaults to CURRENT_KEY's name with .next) and
                           print the JWKS with both keys, next first: serve or register it, then
                           sign with signingKeys: [next, current] (see docs/keys.md)
`

const FORMATS = ['jwk', 'pem'] as const
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const

export async function keygenCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parse(
    args,
    {
      alg: { type: 'string' },
      bits: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      kid: { type: 'string' },
      'jwks-out': { type: 'string' },
      force: { type: 'boolean' },
      rotate: { type: 'string' },
    },
    KEYGEN_USAGE,
  )
  positionals(rest, [], KEYGEN_USAGE)
  const current = values.rotate === undefined ? undefined : await readPrivateKey(resolve(values.rotate))
  if (current) rememberKey(io, current)
  const currentAlg = current && (await resolveSigningKey(current)).alg
  const alg: KeygenAlgorithm =
    oneOf(values.alg, KEYGEN_ALGORITHMS, 'alg', KEYGEN_USAGE) ??
    KEYGEN_ALGORITHMS.find((a) => a === currentAlg) ??
    'ES256'
  const format = oneOf(values.format, FORMATS, 'format', KEYGEN_USAGE) ?? 'jwk'
  const rsa = alg.startsWith('PS') || alg.startsWith('RS')
  const bits = integer(values.bits, 'bits', KEYGEN_USAGE, { min: 2048, max: 4096 })
  if (bits !== undefined && !rsa) throw new UsageError(`--bits is for RSA keys, not ${alg}`, KEYGEN_USAGE)
  if (format === 'pem' && alg !== 'PS256' && rsa) {
    // A PEM does not record the algorithm, and the SDK signs RSA PEM keys with PS256.
    throw new UsageError(`--alg ${alg} needs --format jwk: a PEM key does not record its algorithm`, KEYGEN_USAGE)
  }
  if (values.kid !== undefined && format === 'pem') {
    throw new UsageError('--kid needs --format jwk: a PEM key has no kid (the SDK uses its thumbprint)', KEYGEN_USAGE)
  }
  const out = resolve(
    values.out ??
      values.rotate?.replace(/(\.[^./]*)?$/, (ext) => `.next${ext}`) ??
      (format === 'pem' ? 'ecis-key.pem' : 'ecis-key.jwk'),
  )

  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(rsa ? { modulusLength: bits ?? 3072 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  })
  const exported = await exportJWK(publicKey)
  const publicJwk: JWK = {}
  for (const name of PUBLIC_MEMBERS) if (exported[name] !== undefined) publicJwk[name] = exported[name]
  const kid = values.kid ?? (await calculateJwkThumbprint(publicJwk))
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg }
  // The same public keys, kids and algorithms the SDK signs with.
  const jwks = await publicJwks(current ? [privateJwk, current] : [privateJwk])

  const privateText = format === 'pem' ? await exportPKCS8(privateKey) : `${JSON.stringify(privateJwk, null, 2)}\n`
  await writePrivateFile(out, privateText, { overwrite: values.force === true })
  if (values['jwks-out'] !== undefined) {
    const jwksPath = resolve(values['jwks-out'])
    try {
      await writeFile(jwksPath, `${JSON.stringify(jwks, null, 2)}\n`)
    } catch (cause) {
      throw new EciConfigError(ErrorCode.INVALID_OPTION, `Cannot write ${jwksPath}`, { cause })
    }
  }
  line(io.stderr, `ecis: wrote the ${alg} private key to ${out} (mode 0600; keep it secret)`)
  line(
    io.stderr,
    current
      ? `ecis: serve or register this JWKS (next key ${kid} first); once the utility has it, sign with signingKeys: [next, current]:`
      : `ecis: register this public JWKS with the utility for your client (key id ${kid}):`,
  )
  json(io.stdout, jwks)
  return 0
}
