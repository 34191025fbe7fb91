// The memory store passes the conformance suite in Node and in Chromium (Web APIs only).
import { memoryGrantStore } from '../../src/index.js'
import { describeGrantStore } from './conformance.js'

describeGrantStore('memoryGrantStore', async () => ({ store: memoryGrantStore(), close: async () => {} }))
