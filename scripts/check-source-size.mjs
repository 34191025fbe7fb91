// Keeps src/ reviewable: no file over 400 lines, no function over 80 lines (issue "one source of
// truth"). Uses the TypeScript compiler's parser, so arrow functions and methods count too.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

const MAX_FILE_LINES = 400
const MAX_FUNCTION_LINES = 80

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(path)
    else if (path.endsWith('.ts')) yield path
  }
}

const problems = []
for (const path of files('src')) {
  const text = readFileSync(path, 'utf8')
  const lines = text.split('\n').length
  if (lines > MAX_FILE_LINES) problems.push(`${path}: ${lines} lines (at most ${MAX_FILE_LINES})`)
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line
      const end = source.getLineAndCharacterOfPosition(node.end).line
      const length = end - start + 1
      if (length > MAX_FUNCTION_LINES) {
        const name = node.name?.getText() ?? '(anonymous)'
        problems.push(`${path}:${start + 1}: function ${name} has ${length} lines (at most ${MAX_FUNCTION_LINES})`)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
}
if (problems.length > 0) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log(`src/: every file ≤ ${MAX_FILE_LINES} lines, every function ≤ ${MAX_FUNCTION_LINES} lines`)
