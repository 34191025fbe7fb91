// The three measures. Each compares two sides alternated sample by sample in ABBA order (so
// neither side always runs first, and each runs half the time, as warm as the other), first
// floor against floor (the A/A control: it shows what the method itself reads) and then floor
// against the SDK. Drift of a shared, noisy machine then hits both sides of a comparison alike.

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** `rounds` samples of each side, alternated ABBA; `sample(fn)` returns one number. */
async function alternate(a, b, rounds, sample) {
  const sa = []
  const sb = []
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      sa.push(await sample(a))
      sb.push(await sample(b))
    } else {
      sb.push(await sample(b))
      sa.push(await sample(a))
    }
  }
  return [sa, sb]
}

async function timed(fn) {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

/** Runs the A/A and the A/B comparison; `ratio(a, b)` reduces two sample lists to b over a. */
async function both({ floor, sdk }, { rounds, warmup }, sample, ratio) {
  await alternate(floor, sdk, warmup, sample)
  const [a1, a2] = await alternate(floor, floor, rounds, sample)
  const [f, s] = await alternate(floor, sdk, rounds, sample)
  return {
    floor: median(f),
    floorB: median(a2),
    floorA: median(a1),
    sdk: median(s),
    aa: ratio(a1, a2),
    ratio: ratio(f, s),
    samples: rounds,
  }
}

const ratioOfMedians = (a, b) => median(b) / median(a)
const medianOfPairs = (a, b) => median(a.map((x, i) => b[i] / x))

/** Sequential latency: one call at a time, sides alternated call by call; ratio of medians. */
export function latency(sides, options) {
  return both(sides, options, timed, ratioOfMedians)
}

/** `total` calls of `fn` with `inFlight` workers; calls per second. */
async function block(fn, total, inFlight) {
  let next = 0
  const t = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) await fn()
    }),
  )
  return total / ((performance.now() - t) / 1000)
}

/**
 * Real throughput: blocks of `perBlock` calls with `inFlight` in flight, sides alternated block
 * by block; the ratio is the median over pairs of neighbouring blocks of calls/s over calls/s.
 */
export function throughput(sides, options) {
  const { perBlock, inFlight } = options
  return both(sides, options, (fn) => block(fn, perBlock, inFlight), medianOfPairs)
}

/**
 * History sync: one whole history per sample, sides alternated run by run; the ratio is the
 * median over pairs of neighbouring runs of wall time over wall time.
 */
export function history(sides, options) {
  return both(sides, options, timed, medianOfPairs)
}

/** CPU time of this process (user + system) per call over a block of `perBlock` sequential calls, µs. */
async function cpuPerCall(fn, perBlock) {
  const start = process.cpuUsage()
  for (let i = 0; i < perBlock; i++) await fn()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / perBlock
}

/**
 * CPU per call: blocks of `perBlock` sequential calls, sides alternated block by block; the
 * provider runs in another process, so this is the client's own cost of a call (signing, HTTP,
 * body, parse, validation). Ratio of medians.
 */
export function cpu(sides, options) {
  return both(sides, options, (fn) => cpuPerCall(fn, options.perBlock), ratioOfMedians)
}
