/** A mock Data Custodian on MSW handlers and a `greenButtonConsumer` wired to it (no network). */
import {
  type GreenButtonConsumerOptions,
  type GreenButtonGrant,
  greenButtonConsumer,
} from '../../../src/green-button/index.js'
import { createGreenButtonProvider, type MockGreenButtonOptions } from '../../../src/mock/index.js'
import { handlerFetch } from '../../support/eci-endpoint.js'

export const CLIENT_ID = 'acme-solar'
export const SECRET = 'gb-s3cret-value-never-shown'
export const REDIRECT = 'https://acme.example/green-button/callback'
export const NOTIFY = 'https://acme.example/green-button/notify'
export const SCOPE = 'FB=1_3_4_5_13_14_39;IntervalDuration=3600;BlockDuration=monthly;HistoryLength=13'

export async function gbWorld(
  mockOptions: Partial<MockGreenButtonOptions> = {},
  consumerOptions: Partial<GreenButtonConsumerOptions> = {},
) {
  const custodian = createGreenButtonProvider({
    clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, redirectUris: [REDIRECT], notifyUri: NOTIFY }],
    feed: { months: 4, usagePoints: [{ service: 'electricity', interval: 3600 }, { service: 'gas' }] },
    ...mockOptions,
  })
  const fetch = handlerFetch(custodian.handlers)
  const make = () =>
    greenButtonConsumer({
      ...custodian.endpoints,
      clientId: CLIENT_ID,
      clientAuth: { method: 'client_secret_basic', secret: SECRET },
      redirectUri: REDIRECT,
      fetch,
      retry: { limit: 2, backoffLimit: 20 },
      ...consumerOptions,
    })
  const gb = make()
  /** Follows the authorize redirect (the mock consents at once). */
  const authorize = async (url: string) => {
    const answer = await fetch(url, { redirect: 'manual' })
    return answer.headers.get('location') as string
  }
  const consent = async (): Promise<GreenButtonGrant> => {
    const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
    return gb.completeConsent(await authorize(url), transaction)
  }
  const count = (endpoint: string) => custodian.calls.filter((c) => c.endpoint === endpoint).length
  return { custodian, fetch, gb, make, authorize, consent, count }
}
