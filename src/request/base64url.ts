/**
 * base64url without padding (RFC 4648 §5), as JWS segments use it: `Uint8Array.prototype.toBase64`
 * where the runtime has it, else `btoa`. ASCII text (every JWT segment the SDK makes, in
 * practice) skips the UTF-8 encoder.
 * @module
 */

type ToBase64 = (options: { alphabet: 'base64url'; omitPadding: true }) => string
const nativeBase64 = (Uint8Array.prototype as { toBase64?: ToBase64 }).toBase64

/** base64url (no padding) of a byte string (each char one byte). */
function binaryToBase64url(binary: string): string {
  const b64 = btoa(binary)
  let end = b64.length
  while (end > 0 && b64.charCodeAt(end - 1) === 61 /* = */) end--
  return b64.slice(0, end).replaceAll('+', '-').replaceAll('/', '_')
}

/** base64url (no padding) of bytes. */
export function bytesToBase64url(bytes: Uint8Array): string {
  if (nativeBase64) return nativeBase64.call(bytes, { alphabet: 'base64url', omitPadding: true })
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[])
  }
  return binaryToBase64url(binary)
}

const encoder = new TextEncoder()
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
const ASCII = /^[\u0000-\u007f]*$/

/** base64url of a string's UTF-8 bytes; ASCII (every JWT segment the SDK makes, in practice) skips the encoder. */
export function textToBase64url(text: string): string {
  return ASCII.test(text) ? binaryToBase64url(text) : bytesToBase64url(encoder.encode(text))
}
