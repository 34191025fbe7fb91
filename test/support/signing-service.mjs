// A signing service in its own process, as a KMS is: it makes a private key that never leaves
// this process, and signs what it is sent. Plain node:crypto behind node:http.
//
// Usage: node test/support/signing-service.mjs ALG [der|raw]
//   GET  /key    → { alg, kid, publicJwk }
//   POST /sign   → the signature of the request body (raw bytes in, raw bytes out)
//   POST /fault  → { mode: 'fail' | 'hang' | 'empty' | 'other-key', times } for the next signatures
//   GET  /stats  → { signed }
import { constants, createHash, generateKeyPairSync, sign } from 'node:crypto'
import { createServer } from 'node:http'

const [alg = 'ES256', encoding = 'der'] = process.argv.slice(2)
const SPECS = {
  ES256: ['ec', { namedCurve: 'P-256' }, 'sha256'],
  ES384: ['ec', { namedCurve: 'P-384' }, 'sha384'],
  PS256: ['rsa', { modulusLength: 2048 }, 'sha256'],
  RS256: ['rsa', { modulusLength: 2048 }, 'sha256'],
  EdDSA: ['ed25519', {}, null],
}
const [type, params, hash] = SPECS[alg]
const { privateKey } = generateKeyPairSync(type, params)
const other = generateKeyPairSync(type, params).privateKey
const publicJwk = privateKey.export({ format: 'jwk' })
for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete publicJwk[member]
const kid = `kms-${alg}-${createHash('sha256').update(JSON.stringify(publicJwk)).digest('hex').slice(0, 12)}`

let signed = 0
let fault = { mode: undefined, times: 0 }

function signature(data, key) {
  if (type === 'ec') return sign(hash, data, { key, dsaEncoding: encoding === 'der' ? 'der' : 'ieee-p1363' })
  if (alg.startsWith('PS')) {
    return sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
  }
  return sign(hash, data, key)
}

async function body(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return Buffer.concat(chunks)
}

const server = createServer(async (req, res) => {
  const data = await body(req)
  if (req.url === '/key') return res.end(JSON.stringify({ alg, kid, publicJwk }))
  if (req.url === '/stats') return res.end(JSON.stringify({ signed }))
  if (req.url === '/fault') {
    fault = JSON.parse(String(data))
    return res.end('{}')
  }
  if (req.url !== '/sign' || req.method !== 'POST') {
    res.statusCode = 404
    return res.end()
  }
  const mode = fault.times > 0 ? fault.mode : undefined
  if (mode) fault.times--
  if (mode === 'hang') return // never answers
  if (mode === 'fail') {
    res.statusCode = 500
    return res.end('AccessDeniedException: not allowed to use this key')
  }
  if (mode === 'empty') return res.end()
  signed++
  res.setHeader('content-type', 'application/octet-stream')
  res.end(signature(data, mode === 'other-key' ? other : privateKey))
})
server.listen(0, '127.0.0.1', () => {
  console.log(`signing service on http://127.0.0.1:${server.address().port} kid=${kid}`)
})
