// The utility of bench/fleet-sync.mjs in a process of its own: the mock provider server (built
// package) with the bench's customers and its one client, so its arrival times — what its rate
// limit counts — are not held up by the bench's own work and garbage. Driven over IPC (fork):
// 'calls' answers the call log (endpoint, arrival time, status, request JWT jti), 'clear' empties
// it, 'close' stops the server.
import { startMockProviderServer } from '../dist/mock/node/index.js'

const { seed, latency, grants, months, publicJwk, rateLimit, redirectUri } = JSON.parse(process.argv[2])
const server = await startMockProviderServer({
  seed,
  latency,
  owners: Array.from({ length: grants }, (_, i) => ({ ownerId: `c${i}`, accounts: [{ months }] })),
  clients: [{ clientId: 'acme-solar', redirectUris: [redirectUri], jwks: { keys: [publicJwk] }, rateLimit }],
  consent: (request) => ({ owner: server.provider.fixtures.account(request.requestedAccounts[0]).ownerId }),
})
const ops = {
  calls: () =>
    server.provider.calls.map((c) => ({ endpoint: c.endpoint, at: c.at, status: c.status, jti: c.claims?.jti })),
  clear: () => server.provider.clearCalls(),
  close: async () => {
    await server.close()
    setImmediate(() => process.exit(0))
  },
}
process.on('message', async ({ id, op }) => process.send({ id, result: (await ops[op]()) ?? null }))
process.send({
  ready: {
    issuer: server.issuer,
    owners: server.provider.fixtures.owners.map((o) => ({
      ownerId: o.ownerId,
      accounts: o.accounts.map((a) => a.systemAccountId),
    })),
  },
})
