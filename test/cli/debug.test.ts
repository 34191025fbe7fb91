import { describe, expect, it } from 'vitest'
import { debugReport, SecretSet } from '../../src/cli/debug.js'
import { EciHttpError, ErrorCode } from '../../src/index.js'

describe('the --debug report', () => {
  it('lists the cause chain with protocol fields and the root stack, with secrets and URL parameters masked', () => {
    const token = 'Ac8v1Qm0HrT3yZp7WfXk2N5bL9eJ4sDg'
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'
    const root = new TypeError(
      `fetch failed for https://acme.example/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz123 with ${token}`,
    )
    const middle = new Error(`wrapped ${jwt}`, { cause: root })
    const error = new EciHttpError(ErrorCode.HTTP_ERROR, 'ECI basic request failed', {
      status: 503,
      error: 'temporarily_unavailable',
      requestId: 'req-1',
      cause: middle,
    })
    const secrets = new SecretSet()
    secrets.add(token, 'short')
    const report = debugReport(error, secrets)
    const lines = report.trimEnd().split('\n')
    expect(lines[0]).toBe(
      'debug: error EciHttpError [ERR_ECI_HTTP]: ECI basic request failed (status=503, error="temporarily_unavailable", requestId="req-1")',
    )
    expect(lines[1]).toBe('debug: caused by Error: wrapped [redacted]')
    expect(lines[2]).toBe(
      'debug: caused by TypeError: fetch failed for https://acme.example/cb?code=[redacted]&state=[redacted] with [redacted]',
    )
    expect(lines[3]).toBe('debug: stack of the root cause:')
    expect(lines[4]).toMatch(/^ {4}at /)
    expect(report).not.toContain(token)
    expect(report).not.toContain('SplxlOBeZQQYbYS6WxSbIA')
  })

  it('stops at a cause cycle', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    ;(a as { cause?: unknown }).cause = b
    expect(debugReport(b, new SecretSet()).match(/^debug: (error|caused by)/gm)).toHaveLength(2)
  })
})
