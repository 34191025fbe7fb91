/**
 * Node's built-in modules, reached at run time through `process.getBuiltinModule` — only on
 * Node itself (not Bun or Deno, whose `node:` modules are compatibility layers over their own
 * Web APIs). The core imports nothing from Node, so it compiles without Node types and bundles
 * unchanged for browsers, Deno, Bun and workers, where this finds nothing and the Web APIs
 * serve. Callers type the slice of the module they use.
 * @module
 */

interface NodeLikeGlobal {
  process?: { versions?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown }
  Deno?: unknown
}

/** Whether this runtime is Node (with `process.getBuiltinModule`, Node ≥ 22.3). */
function isNode(): boolean {
  const g = globalThis as NodeLikeGlobal
  const p = g.process
  return (
    typeof p?.getBuiltinModule === 'function' &&
    typeof p.versions?.node === 'string' &&
    p.versions.bun === undefined &&
    g.Deno === undefined
  )
}

/** `node:<id>` when this is Node, else `undefined`. @internal */
export function nodeBuiltin<T>(id: string): T | undefined {
  if (!isNode()) return undefined
  try {
    return ((globalThis as NodeLikeGlobal).process?.getBuiltinModule?.(`node:${id}`) as T | undefined) ?? undefined
  } catch {
    return undefined
  }
}
