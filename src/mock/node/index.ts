/**
 * `ecis-consumer/mock/node`: the mock ECI Provider on a loopback HTTP server (Node only).
 * @module
 */

export {
  type GreenButtonProviderServer,
  type GreenButtonProviderServerOptions,
  startGreenButtonProviderServer,
} from './green-button-server.js'
export {
  type MockProviderServer,
  type MockProviderServerOptions,
  startMockProviderServer,
} from './server.js'
