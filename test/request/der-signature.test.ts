// DER ECDSA signatures (AWS KMS, Google Cloud KMS) become JOSE's fixed-size r‖s.
import { describe, expect, it } from 'vitest'
import { derToJoseSignature } from '../../src/request/remote-signer.js'

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)
function der(r: Uint8Array, s: Uint8Array): Uint8Array {
  const body = [0x02, r.length, ...r, 0x02, s.length, ...s]
  return Uint8Array.from(body.length > 0x7f ? [0x30, 0x81, body.length, ...body] : [0x30, body.length, ...body])
}

describe('DER ECDSA signature → r‖s', () => {
  it('strips the sign byte of a high r and left-pads a short s', () => {
    const r = Uint8Array.from([0x00, ...bytes(32, 0x80)])
    const s = bytes(30, 0x11)
    const out = derToJoseSignature(der(r, s), 32)
    expect(out).toEqual(Uint8Array.from([...bytes(32, 0x80), 0, 0, ...bytes(30, 0x11)]))
  })

  it('reads the long length form of P-521 signatures (66-byte halves)', () => {
    const out = derToJoseSignature(der(bytes(66, 1), bytes(65, 2)), 66)
    expect(out?.length).toBe(132)
    expect(out?.[66]).toBe(0)
  })

  it.each([
    ['not a SEQUENCE', Uint8Array.from([0x31, 6, 2, 1, 1, 2, 1, 1])],
    ['a wrong length', Uint8Array.from([0x30, 7, 2, 1, 1, 2, 1, 1])],
    ['trailing bytes', Uint8Array.from([0x30, 6, 2, 1, 1, 2, 1, 1, 0])],
    ['an integer longer than the curve', der(bytes(34, 1), bytes(2, 1))],
    ['an empty integer', Uint8Array.from([0x30, 5, 2, 0, 2, 1, 1])],
  ])('refuses %s', (_label, input) => {
    expect(derToJoseSignature(input, 32)).toBeUndefined()
  })
})
