// Green Button parse bench: throughput (MB/s) and peak memory of parseEspi / parseEspiStream on a
// generated year of 15-minute readings for two usage points (2 × 35,040 interval readings, with
// monthly usage summaries and line items), against the built package (dist/).
//
// Method:
//   throughput  parseEspi(bytes) in this process: 2 warm-up runs, then 9 timed runs; the median
//               run's MB/s (file bytes / wall time of the parse alone, file already in memory).
//               Interleaved with each run, a bare saxes pass over the same text (namespaces and
//               positions on, empty handlers): the ratio of the medians says what the SDK adds
//               on top of the XML parser, whatever the machine's load (printed with the run).
//   memory      each in a fresh child process with --expose-gc: parseEspiStream over a file
//               stream (64 KiB chunks), process.memoryUsage() sampled at every chunk; peak of
//               heapUsed + external + arrayBuffers above the baseline taken after gc() right
//               before the parse, the resulting feed kept alive to the end. Also the growth of
//               the process's maxRSS (resourceUsage), which includes V8's unused heap slack.
// Goals (issue 18): ≥ 20 MB/s, peak ≤ 4× the file's size. Nothing here is asserted by a test.
//
//   npm run build && node bench/green-button.mjs

import { execFileSync } from 'node:child_process'
import { createReadStream, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const gb = await import(join(root, 'dist/green-button/index.js'))

async function child(file) {
  global.gc()
  const base = process.memoryUsage()
  const baseRss = process.resourceUsage().maxRSS * 1024
  const used = (m) => m.heapUsed + m.external + m.arrayBuffers
  let peak = 0
  const sample = new TransformStream({
    transform(chunk, controller) {
      peak = Math.max(peak, used(process.memoryUsage()) - used(base))
      controller.enqueue(chunk)
    },
  })
  const stream = Readable.toWeb(createReadStream(file, { highWaterMark: 64 * 1024 })).pipeThrough(sample)
  const feed = await gb.parseEspiStream(stream)
  peak = Math.max(peak, used(process.memoryUsage()) - used(base))
  const rss = process.resourceUsage().maxRSS * 1024 - baseRss
  console.log(JSON.stringify({ peak, rss, usagePoints: feed.usagePoints.length }))
}

if (process.argv[2] === '--child') {
  await child(process.argv[3])
} else {
  const { generateEspiFeed } = await import(join(root, 'dist/mock/index.js'))
  const spec = { service: 'electricity', interval: 900, bills: 'usage-summary' }
  const generated = generateEspiFeed({ seed: 1, start: '2025-01-01', months: 12, usagePoints: [spec, spec] })
  const file = join(tmpdir(), 'ecis-green-button-bench.xml')
  writeFileSync(file, generated.xml)
  const bytes = readFileSync(file)
  const mb = bytes.length / 1e6
  console.log(
    `file: ${mb.toFixed(2)} MB, ${generated.readings.join(' + ')} interval readings, ${generated.bills.length} bills`,
  )

  const { SaxesParser } = createRequire(join(root, 'package.json'))('saxes')
  const text = bytes.toString('utf8')
  const bare = () => {
    const p = new SaxesParser({ xmlns: true })
    for (const event of ['opentag', 'text', 'closetag']) p.on(event, () => {})
    p.write(text).close()
  }
  for (let i = 0; i < 2; i++) {
    gb.parseEspi(bytes)
    bare()
  }
  const times = []
  const bareTimes = []
  for (let i = 0; i < 9; i++) {
    let t0 = performance.now()
    const feed = gb.parseEspi(bytes)
    times.push(performance.now() - t0)
    if (feed.usagePoints.length !== 2) throw new Error('the feed did not parse to two usage points')
    t0 = performance.now()
    bare()
    bareTimes.push(performance.now() - t0)
  }
  const median = (list) => [...list].sort((a, b) => a - b)[4]
  const [ms, bareMs] = [median(times), median(bareTimes)]
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${process.arch}, node ${process.version}`,
  )
  console.log(
    `throughput: parseEspi median ${ms.toFixed(0)} ms = ${(mb / (ms / 1000)).toFixed(1)} MB/s (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)} ms, 9 runs); bare saxes ${(mb / (bareMs / 1000)).toFixed(1)} MB/s; parseEspi = ${(ms / bareMs).toFixed(2)}× a bare saxes pass`,
  )

  const runs = [0, 1, 2].map(() =>
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', file], {
        encoding: 'utf8',
      }),
    ),
  )
  const peaks = runs.map((r) => r.peak).sort((a, b) => a - b)
  const rss = runs.map((r) => r.rss).sort((a, b) => a - b)
  console.log(
    `memory (parseEspiStream, median of 3 fresh processes): peak heap+external ${(peaks[1] / 1e6).toFixed(1)} MB = ${(peaks[1] / bytes.length).toFixed(2)}× the file; maxRSS growth ${(rss[1] / 1e6).toFixed(1)} MB = ${(rss[1] / bytes.length).toFixed(2)}×`,
  )
}
