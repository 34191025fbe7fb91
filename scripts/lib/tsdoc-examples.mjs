// The ```ts blocks of the `@example` tags of TSDoc comments, with where each starts.

const COMMENT = /\/\*\*[\s\S]*?\*\//g
const FENCE = /^```(?:ts|typescript)\s*$/

/** `[{ line, code }]`: each ```ts block inside an `@example` of `text`; `line` is 1-based, of its first code line. */
export function tsdocExamples(text) {
  const examples = []
  for (const comment of text.matchAll(COMMENT)) {
    const startLine = text.slice(0, comment.index).split('\n').length
    const lines = comment[0].split('\n').map((l) => l.replace(/^\s*\/?\*\*?\/?\s?/, '').replace(/\s*\*\/$/, ''))
    let inExample = false
    let block
    lines.forEach((raw, i) => {
      const l = raw.trimEnd()
      if (block) {
        if (/^```\s*$/.test(l)) {
          examples.push(block)
          block = undefined
        } else block.code.push(raw)
        return
      }
      if (/^@example\b/.test(l)) inExample = true
      else if (/^@\w/.test(l)) inExample = false
      if (inExample && FENCE.test(l.replace(/^@example\s*/, ''))) block = { line: startLine + i + 1, code: [] }
    })
  }
  return examples.map((e) => ({ line: e.line, code: e.code.join('\n') }))
}
