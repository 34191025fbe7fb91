// Profiling aid (not part of `npm run bench`): runs one side alone with N in flight for a few
// seconds against the bench provider, so `node --cpu-prof bench/profile.mjs sdk 50` shows where
// the main thread's time goes.  Usage: node --cpu-prof bench/profile.mjs <sdk|floor> <inFlight> [seconds]
import { ACCOUNT, sides, startProvider } from './sides.mjs'

const [side = 'sdk', inFlightArg = '50', secondsArg = '5'] = process.argv.slice(2)
const { provider, bases } = await startProvider()
const { session, floor } = await sides(bases.fast)
let n = 0
const id = () => `inv-${String((n++ % 500) + 1).padStart(4, '0')}`
const call = side === 'floor' ? () => floor.invoiceDetail(ACCOUNT, id()) : () => session.invoiceDetail(ACCOUNT, id())
const until = performance.now() + Number(secondsArg) * 1000
let calls = 0
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await Promise.all(
  Array.from({ length: Number(inFlightArg) }, async () => {
    while (performance.now() < until) {
      await call()
      calls++
    }
  }),
)
const wall = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
console.log(
  `${side} ${inFlightArg} in flight: ${(calls / wall).toFixed(0)} calls/s, client CPU ${((cpu.user + cpu.system) / calls).toFixed(0)} µs/call (user ${(cpu.user / calls).toFixed(0)}, sys ${(cpu.system / calls).toFixed(0)})`,
)
provider.disconnect()
