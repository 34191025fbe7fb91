/** The fleet refresh under store faults, on a real PostgreSQL (see refresh-cases.ts). */
import { refreshFaultSuite } from './refresh-cases.js'

refreshFaultSuite('postgres')
