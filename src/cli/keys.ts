/** Key files: the client's private key (`--key`) and the public JWKS the mock registers (`--jwks`). */
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { JWK } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { EciConfigError, ErrorCode } from '../errors.js'
import type { CliIo } from './io.js'

/** A private key as the SDK takes it: a private JWK or a PKCS8 PEM string. */
export type KeyFileContent = JWK | string

/** Adds a private key's secret parts to the run's secrets (scrubbed from all output). */
export function rememberKey(io: CliIo, key: KeyFileContent): void {
  if (typeof key === 'string') {
    io.secrets?.add(...key.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----')))
    return
  }
  const secret = key as Record<string, unknown>
  for (const name of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
    if (typeof secret[name] === 'string') io.secrets?.add(secret[name] as string)
  }
}

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

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g

/** The PEM blocks of a file, by label (`PRIVATE KEY`, `EC PRIVATE KEY`, `EC PARAMETERS`, …). */
function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1] as string, pem: `${m[0]}\n` }))
}

const PKCS8_HINT = 'convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out key.pem'

/**
 * A private key PEM as the SDK takes it (PKCS8). SEC1 (`BEGIN EC PRIVATE KEY`, what
 * `openssl ecparam -genkey` writes, often after an `EC PARAMETERS` block) and PKCS#1
 * (`BEGIN RSA PRIVATE KEY`) are converted with node:crypto; anything else is a clear error.
 */
export function privateKeyPem(text: string, path: string): string {
  const blocks = pemBlocks(text)
  const key = blocks.find((b) => /PRIVATE KEY$/.test(b.label))
  if (!key) {
    const what = blocks.some((b) => /PUBLIC KEY|CERTIFICATE/.test(b.label))
      ? 'holds a public key or certificate; a private key is needed'
      : 'holds no PEM private key'
    throw new EciConfigError(ErrorCode.INVALID_KEY, `The key file ${path} ${what}`)
  }
  if (key.label === 'PRIVATE KEY') return key.pem
  if (key.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(key.pem)) {
    throw new EciConfigError(
      ErrorCode.INVALID_KEY,
      `The key file ${path} is encrypted; decrypt it with: openssl pkey -in KEY -out key.pem`,
    )
  }
  if (key.label !== 'EC PRIVATE KEY' && key.label !== 'RSA PRIVATE KEY') {
    throw new EciConfigError(ErrorCode.INVALID_KEY, `The key file ${path} holds a ${key.label}; ${PKCS8_HINT}`)
  }
  try {
    return createPrivateKey(key.pem).export({ type: 'pkcs8', format: 'pem' }) as string
  } catch (cause) {
    throw new EciConfigError(
      ErrorCode.INVALID_KEY,
      `The ${key.label} in ${path} cannot be read (${key.label === 'EC PRIVATE KEY' ? 'SEC1' : 'PKCS#1'}); ${PKCS8_HINT}`,
      { cause },
    )
  }
}

/**
 * Reads the client's private key: a private JWK (JSON) or a PEM — PKCS8 (`BEGIN PRIVATE KEY`),
 * SEC1 (`BEGIN EC PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`), the last two converted to PKCS8.
 */
export async function readPrivateKey(path: string): Promise<KeyFileContent> {
  const text = await readText(path, 'key')
  if (text.includes('-----BEGIN')) return privateKeyPem(text, path)
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
  if (text.includes('-----BEGIN')) {
    let jwk: JWK
    const pem = text.includes('PRIVATE KEY') ? privateKeyPem(text, path) : undefined
    try {
      const key = pem ? createPublicKey(createPrivateKey(pem)) : createPublicKey(text)
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
