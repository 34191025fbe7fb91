// The capacity model of the nightly sync: a time-stepped simulation of a fleet of sync workers
// against many utilities, each with its own rate limit. It prints the table of docs/scaling.md.
//
//   node bench/fleet-sync-model.mjs [--cpu-ms 2.3] [--latency-ms 200] [--achieved 0.96] [--json]
//
// What it models, per second of the night:
// - each utility serves at most `achieved` × its rate limit (requests/s): the fraction of the
//   limit the fleet reaches at the provider's latency, measured by bench/fleet-sync.mjs against
//   the mock's own limit (requests counted when sent, slots (duration + margin) / max apart);
// - each worker process has `JOBS × DETAILS` requests in flight per utility queue, so a utility
//   gets at most workers × JOBS × DETAILS / latency requests/s (Little's law);
// - each worker process spends `cpu-ms` of one core per request (bench/fleet-sync.mjs measured
//   1.9–2.4 ms on the test machine), so the fleet does at most workers × 1000 / cpu-ms requests/s,
//   shared by the utilities that still have work (water-filling);
// - a grant's nightly work: one token refresh (hour-long access tokens), then per account one
//   Basic plus the new invoices — one a month, so 1/30 of an Invoice Detail per night on average,
//   or 24 for the first sync of a new customer's history. "Due grants only" schedules just the
//   1/30 of customers whose `next_read_date` has passed, each with its one new invoice.
// Customers spread over utilities either equally or Zipf-like (the biggest utility has the most
// customers, as in real markets). Workers: the fewest whose wall time is within 2 % of the
// rate-limit bound (more workers cannot make the night shorter).

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name)
  return at < 0 ? fallback : Number(process.argv[at + 1])
}
const CPU_MS = arg('--cpu-ms', 2.3)
const LATENCY_S = arg('--latency-ms', 200) / 1000
const ACHIEVED = arg('--achieved', 0.96)
const JOBS = 8
const DETAILS = 2
const ACCOUNTS_PER_CUSTOMER = 1.3

/** Customers per utility: equal shares, or Zipf (share ∝ 1/rank). */
function spread(customers, utilities, shape) {
  const weights = Array.from({ length: utilities }, (_, i) => (shape === 'zipf' ? 1 / (i + 1) : 1))
  const total = weights.reduce((a, b) => a + b, 0)
  return weights.map((w) => Math.round((customers * w) / total))
}

/** Requests one customer's grant needs: a token refresh, and per account a Basic and the details. */
const perGrant = (detailsPerAccount) => 1 + ACCOUNTS_PER_CUSTOMER * (1 + detailsPerAccount)

/** Seconds the fleet needs, simulated second by second. */
function simulate(demands, limit, workers) {
  const rateLimit = limit * ACHIEVED
  const remaining = [...demands]
  const inFlightCap = (workers * JOBS * DETAILS) / LATENCY_S
  const cpuCap = (workers * 1000) / CPU_MS
  let seconds = 0
  while (remaining.some((r) => r > 1e-9)) {
    const want = remaining.map((r) => Math.min(r, rateLimit, inFlightCap))
    // Share the fleet's CPU: utilities asking less than an equal share get all they ask.
    let budget = cpuCap
    const give = want.map(() => 0)
    let open = want.map((w, i) => (w > 0 ? i : -1)).filter((i) => i >= 0)
    while (open.length > 0 && budget > 1e-9) {
      const share = budget / open.length
      const next = []
      for (const i of open) {
        const take = Math.min(share, want[i] - give[i])
        give[i] += take
        budget -= take
        if (want[i] - give[i] > 1e-9) next.push(i)
      }
      if (next.length === open.length && budget <= 1e-9) break
      open = next
    }
    for (const [i, g] of give.entries()) remaining[i] -= g
    seconds++
    if (seconds > 30 * 86400) return Number.POSITIVE_INFINITY
  }
  return seconds
}

function scenario({ customers, utilities, shape, rateLimit, detailsPerAccount, label, scheduled = 1 }) {
  const sizes = spread(customers, utilities, shape)
  const demands = sizes.map((n) => n * scheduled * perGrant(detailsPerAccount))
  const total = demands.reduce((a, b) => a + b, 0)
  const bound = Math.ceil(Math.max(...demands) / (rateLimit * ACHIEVED))
  let workers = 1
  let wall = simulate(demands, rateLimit, workers)
  while (wall > bound * 1.02 && workers < 10_000) {
    workers = Math.ceil(workers * 1.25)
    wall = simulate(demands, rateLimit, workers)
  }
  // Step back down to the fewest that still meet the bound.
  while (workers > 1 && simulate(demands, rateLimit, workers - 1) <= bound * 1.02) workers--
  wall = simulate(demands, rateLimit, workers)
  return {
    label,
    customers,
    utilities,
    shape,
    rateLimit,
    total: Math.round(total),
    biggest: sizes[0],
    workers,
    wall,
    bound,
  }
}

const hours = (s) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s / 60)} min`)
const thousands = (n) => n.toLocaleString('en-US')

const NIGHT = 1 / 30
const rows = [
  { customers: 10_000, utilities: 5, shape: 'equal', rateLimit: 10, detailsPerAccount: NIGHT, label: 'nightly' },
  { customers: 50_000, utilities: 10, shape: 'equal', rateLimit: 10, detailsPerAccount: NIGHT, label: 'nightly' },
  { customers: 500_000, utilities: 20, shape: 'equal', rateLimit: 10, detailsPerAccount: NIGHT, label: 'nightly' },
  { customers: 500_000, utilities: 20, shape: 'zipf', rateLimit: 10, detailsPerAccount: NIGHT, label: 'nightly' },
  { customers: 500_000, utilities: 20, shape: 'zipf', rateLimit: 25, detailsPerAccount: NIGHT, label: 'nightly' },
  { customers: 500_000, utilities: 50, shape: 'zipf', rateLimit: 10, detailsPerAccount: NIGHT, label: 'nightly' },
  { customers: 500_000, utilities: 20, shape: 'zipf', rateLimit: 50, detailsPerAccount: NIGHT, label: 'nightly' },
  { customers: 500_000, utilities: 20, shape: 'zipf', rateLimit: 100, detailsPerAccount: NIGHT, label: 'nightly' },
  {
    customers: 500_000,
    utilities: 20,
    shape: 'zipf',
    rateLimit: 10,
    detailsPerAccount: 1,
    scheduled: NIGHT,
    label: 'due grants only',
  },
  {
    customers: 500_000,
    utilities: 20,
    shape: 'zipf',
    rateLimit: 25,
    detailsPerAccount: 24,
    label: 'first sync (24 months)',
  },
].map(scenario)

if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2))
else {
  console.log(
    `Worker CPU ${CPU_MS} ms/request, provider latency ${LATENCY_S * 1000} ms, ${ACHIEVED} of each rate limit achieved, ${JOBS} jobs × ${DETAILS} details in flight per worker and utility, ${ACCOUNTS_PER_CUSTOMER} accounts per customer.\n`,
  )
  console.log(
    '| customers | utilities | rate limit (req/s each) | run | requests | biggest utility | workers | wall time |',
  )
  console.log('|---:|---|---:|---|---:|---:|---:|---:|')
  for (const r of rows) {
    console.log(
      `| ${thousands(r.customers)} | ${r.utilities} (${r.shape}) | ${r.rateLimit} | ${r.label} | ${thousands(r.total)} | ${thousands(r.biggest)} customers | ${r.workers} | ${hours(r.wall)} |`,
    )
  }
}
