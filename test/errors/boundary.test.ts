import { JWSSignatureVerificationFailed } from 'jose/errors'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { toEciError } from '../../src/error-boundary.js'
import {
  EciConfigError,
  EciError,
  EciHttpError,
  EciNetworkError,
  EciValidationError,
  ErrorCode,
} from '../../src/index.js'

describe('toEciError: the one boundary for foreign errors', () => {
  it.each([
    ['a TypeError from fetch', new TypeError('Failed to fetch'), EciNetworkError, ErrorCode.NETWORK],
    ['a DOMException TimeoutError', new DOMException('timed out', 'TimeoutError'), EciNetworkError, ErrorCode.TIMEOUT],
    ['a DOMException AbortError', new DOMException('aborted', 'AbortError'), EciNetworkError, ErrorCode.ABORTED],
    ['a ZodError', (() => z.string().safeParse(1).error)(), EciValidationError, ErrorCode.VALIDATION_FAILED],
    ['a jose verification error', new JWSSignatureVerificationFailed(), EciHttpError, ErrorCode.INVALID_RESPONSE],
    ['anything else', new RangeError('boom'), EciError, ErrorCode.INTERNAL],
    ['a thrown string', 'just a string', EciError, ErrorCode.INTERNAL],
  ])('maps %s and keeps it as cause', (_name, foreign, Class, code) => {
    const error = toEciError(foreign, 'The test call')
    expect(error).toBeInstanceOf(Class)
    expect(error.code).toBe(code)
    expect(error.cause).toBe(foreign)
    expect(Object.keys(error)).not.toContain('cause')
  })

  it('passes SDK errors through unchanged', () => {
    const mine = new EciConfigError(ErrorCode.INVALID_OPTION, 'bad')
    expect(toEciError(mine)).toBe(mine)
  })

  it('keeps only the cause of an HTTP-client error that holds the request', () => {
    const inner = new TypeError('fetch failed')
    const kyLike = Object.assign(new Error('Request failed'), {
      name: 'NetworkError',
      request: new Request('https://x.example', { headers: { authorization: 'Bearer SECRET-TOKEN-123' } }),
      cause: inner,
    })
    const error = toEciError(kyLike)
    expect(error.code).toBe(ErrorCode.NETWORK)
    expect(error.cause).toBe(inner)
  })

  it('serialises only name, code, message and protocol fields', () => {
    const error = new EciHttpError(ErrorCode.HTTP_ERROR, 'HTTP 403', {
      status: 403,
      error: 'insufficient_scope',
      response: new Response(null, { status: 403 }),
      cause: new Error('inner'),
    })
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'EciHttpError',
      code: ErrorCode.HTTP_ERROR,
      message: 'HTTP 403',
      status: 403,
      error: 'insufficient_scope',
    })
    expect(error.response?.status).toBe(403)
  })
})
