/** The fleet refresh under store faults, on a real Redis (see refresh-cases.ts). */
import { refreshFaultSuite } from './refresh-cases.js'

refreshFaultSuite('redis')
