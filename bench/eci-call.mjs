// `npm run bench`: the SDK against the hand-written floor (bench/floor.mjs: jose SignJWT +
// fetch + JSON.parse + the same zod schema), both talking to a loopback node:http provider in a
// separate process (bench/provider.mjs). One run, one table:
//
//   latency     one session.invoiceDetail() at a time, calls alternated; ratio of medians
//   throughput  calls/s with 50 in flight, blocks alternated; median of per-round ratios
//   history     session.invoices(account, { detail: true, concurrency: 8 }) over 500 invoices
//               with 20 ms provider latency, against a hand-written 8-worker pool
//   cpu         this process's CPU time (user + system) per sequential call, blocks alternated:
//               what a call costs an app that talks to a rate-limited utility
//
// and an A/A control row per measure (the floor against itself, measured the same way just
// before), which must read 1.00 ± 0.02 for the run to say anything (bench/measures.mjs). Both
// sides use the same ES256 key, token and provider; the first call checks they return the same
// object. No wall time is asserted anywhere else.
//
//   npm run bench                          # build, then the full run (~5 minutes)
//   node bench/eci-call.mjs --quick        # a quarter of the samples
//   node bench/eci-call.mjs --only=latency # one measure (latency, throughput, history)

import { deepStrictEqual } from 'node:assert'
import { availableParallelism, loadavg } from 'node:os'
import { cpu, history, latency, throughput } from './measures.mjs'
import { ACCOUNT, sides, startProvider } from './sides.mjs'

const quick = process.argv.includes('--quick')
// --only=latency,throughput: a part of the table, for working on one measure.
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
const wanted = (name) => !only || only.includes(name)
const scale = quick ? 0.25 : 1
const CONFIG = {
  latency: { rounds: Math.round(3000 * scale), warmup: 400 },
  throughput: { rounds: Math.round(120 * scale), perBlock: 500, inFlight: 50, warmup: 6 },
  history: { rounds: Math.round(24 * scale), warmup: 1, invoices: 500, latencyMs: 20, concurrency: 8 },
  cpu: { rounds: Math.round(60 * scale), perBlock: 100, warmup: 4 },
}
const { provider, bases } = await startProvider({
  BENCH_LATENCY_MS: String(CONFIG.history.latencyMs),
  BENCH_INVOICES: String(CONFIG.history.invoices),
})
const fast = await sides(bases.fast)
const slow = await sides(bases.slow)

// Same work on both sides: the same validated object from the same response.
deepStrictEqual(
  await fast.session.invoiceDetail(ACCOUNT, 'inv-0007'),
  await fast.floor.invoiceDetail(ACCOUNT, 'inv-0007'),
)

let n = 0
const nextId = process.env.FIXED_ID
  ? () => 'inv-0001'
  : () => `inv-${String((n++ % CONFIG.history.invoices) + 1).padStart(4, '0')}`
const floorCall = () => fast.floor.invoiceDetail(ACCOUNT, nextId())
const sdkCall = () => fast.session.invoiceDetail(ACCOUNT, nextId())

async function sdkHistory() {
  let count = 0
  for await (const _ of slow.session.invoices(ACCOUNT, { detail: true, concurrency: CONFIG.history.concurrency }))
    count++
  if (count !== CONFIG.history.invoices) throw new Error(`the SDK synced ${count} invoices`)
}
async function poolHistory() {
  const all = await slow.floor.history(ACCOUNT, CONFIG.history.concurrency)
  if (all.length !== CONFIG.history.invoices) throw new Error(`the pool synced ${all.length} invoices`)
}

const started = performance.now()
const calls = { floor: floorCall, sdk: sdkCall }
const lat = wanted('latency') ? await latency(calls, CONFIG.latency) : undefined
const thr = wanted('throughput') ? await throughput(calls, CONFIG.throughput) : undefined
const his = wanted('history') ? await history({ floor: poolHistory, sdk: sdkHistory }, CONFIG.history) : undefined
const cpuUse = wanted('cpu') ? await cpu(calls, CONFIG.cpu) : undefined
const seconds = (performance.now() - started) / 1000
provider.disconnect()

const us = (ms) => `${(ms * 1000).toFixed(0)} µs`
const cps = (x) => `${x.toFixed(0)} calls/s`
const sec = (ms) => `${(ms / 1000).toFixed(3)} s`
const r2 = (x) => x.toFixed(2)
const aaOk = (x) => Math.abs(x - 1) <= 0.02
const h = CONFIG.history
const rows = []
/** One measure's row and its A/A control row. */
function measureRows(result, label, control, fmt, goal, met, samples) {
  if (!result) return
  rows.push([label, fmt(result.floor), fmt(result.sdk), result.ratio, goal, met(result.ratio), samples])
  rows.push([
    `  A/A control: ${control}`,
    fmt(result.floorA),
    fmt(result.floorB),
    result.aa,
    '1.00 ± 0.02',
    aaOk(result.aa),
    '',
  ])
}
measureRows(
  lat,
  'latency: session.invoiceDetail(), sequential',
  'floor vs floor',
  us,
  '≤ 1.05',
  (r) => r <= 1.05,
  `${lat?.samples} calls/arm`,
)
measureRows(
  thr,
  `throughput: ${CONFIG.throughput.inFlight} in flight`,
  'floor vs floor',
  cps,
  '≥ 0.90',
  (r) => r >= 0.9,
  `${thr?.samples} blocks × ${CONFIG.throughput.perBlock}/arm`,
)
measureRows(
  his,
  `history: ${h.invoices} details, ${h.latencyMs} ms, c=${h.concurrency} vs pool`,
  'pool vs pool',
  sec,
  '≤ 1.00',
  (r) => r <= 1,
  `${his?.samples} syncs/arm`,
)
measureRows(
  cpuUse,
  'cpu per call (this process), sequential',
  'floor vs floor',
  (x) => `${x.toFixed(0)} µs`,
  'report',
  () => true,
  `${cpuUse?.samples} blocks × ${CONFIG.cpu.perBlock}/arm`,
)
const head = ['measure', 'floor', 'SDK (or floor B)', 'ratio', 'goal', 'met', 'samples']
const cells = rows.map(([m, f, s, r, g, ok, n]) => [m, f, s, r2(r), g, ok ? 'yes' : 'NO', n])
const widths = head.map((t, i) => Math.max(t.length, ...cells.map((c) => c[i].length)))
const line = (c) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`
console.log(
  `node ${process.version}, ${availableParallelism()} cpus, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${seconds.toFixed(0)} s${quick ? ' (quick)' : ''}`,
)
console.log(line(head))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const c of cells) console.log(line(c))
const met = rows.every((r) => r[5])
console.log(met ? 'all goals met, A/A controls within ± 0.02' : 'NOT all goals met (see "met")')
if (cpuUse) {
  // What the per-call cost means against a utility that allows R requests per second.
  const share = (rate) => `${((cpuUse.sdk * rate) / 1e4).toFixed(2)} % of a core at ${rate} requests/s`
  console.log(`SDK CPU per call ${cpuUse.sdk.toFixed(0)} µs: ${[10, 50, 100].map(share).join(', ')}`)
}
