/** Key files: the client's private key (`--key`) and the public JWKS the mock registers (`--jwks`). */
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { JWK } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { EciConfigError, ErrorCode } from '../errors.js'

/** A private key as the SDK takes it: a private JWK or a PKCS8 PEM string. */
export type KeyFileContent = JWK | string

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    const code = (cause as { code?: string }).code
    throw new EciConfigError(
      ErrorCode.INVALID_KEY,
      `Cannot read the ${what} file ${path}${code === 'ENOENT' ? ' (no such file)' : ''}`,
      { cause },
    )
  }
}

function parseJson(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new EciConfigError(ErrorCode.INVALID_KEY, `The ${what} file ${path} is neither JSON nor PEM`, { cause })
  }
}

/** Reads the client's private key: a private JWK (JSON) or a PKCS8 PEM (`-----BEGIN PRIVATE KEY-----`). */
export async function readPrivateKey(path: string): Promise<KeyFileContent> {
  const text = await readText(path, 'key')
  if (text.trimStart().startsWith('-----BEGIN')) return text
  const jwk = parseJson(text, path, 'key')
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk) || typeof (jwk as JWK).kty !== 'string') {
    throw new EciConfigError(ErrorCode.INVALID_KEY, `The key file ${path} does not hold a JWK`)
  }
  if (typeof (jwk as JWK).d !== 'string') {
    throw new EciConfigError(ErrorCode.INVALID_KEY, `The key file ${path} holds a public key; a private key is needed`)
  }
  return jwk as JWK
}

const PUBLIC_MEMBERS: Record<string, string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
}

/** The public part of a JWK, with `kid` (the RFC 7638 thumbprint when absent, as the SDK computes it). */
async function publicJwk(jwk: JWK, path: string): Promise<JWK> {
  const members = PUBLIC_MEMBERS[jwk.kty ?? '']
  if (!members) throw new EciConfigError(ErrorCode.INVALID_KEY, `The JWKS file ${path} holds an unsupported key type`)
  const out: JWK = {}
  for (const name of [...members, 'alg', 'use']) {
    const value = (jwk as Record<string, unknown>)[name]
    if (value !== undefined) (out as Record<string, unknown>)[name] = value
  }
  out.kid = jwk.kid ?? (await calculateJwkThumbprint(out))
  return out
}

/**
 * Reads the public keys to register for a client: a JWKS (`{ keys: [...] }`), one JWK, or a PEM
 * (public SPKI or private PKCS8). Private members are dropped: only public keys are registered.
 */
export async function readPublicJwks(path: string): Promise<{ keys: JWK[] }> {
  const text = await readText(path, 'JWKS')
  if (text.trimStart().startsWith('-----BEGIN')) {
    let jwk: JWK
    try {
      const key = text.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(text)) : createPublicKey(text)
      jwk = key.export({ format: 'jwk' }) as JWK
    } catch (cause) {
      throw new EciConfigError(ErrorCode.INVALID_KEY, `The PEM in ${path} cannot be read as a key`, { cause })
    }
    return { keys: [await publicJwk(jwk, path)] }
  }
  const value = parseJson(text, path, 'JWKS') as { keys?: unknown; kty?: unknown } | null
  const keys = Array.isArray(value?.keys) ? value.keys : typeof value?.kty === 'string' ? [value] : undefined
  if (!keys || keys.length === 0 || keys.some((k) => k === null || typeof k !== 'object')) {
    throw new EciConfigError(ErrorCode.INVALID_KEY, `The JWKS file ${path} holds no keys`)
  }
  return { keys: await Promise.all(keys.map((k) => publicJwk(k as JWK, path))) }
}
