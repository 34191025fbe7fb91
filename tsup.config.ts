import { defineConfig } from 'tsup'

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'schemas/index': 'src/schemas/index.ts',
      'consent/index': 'src/consent/index.ts',
      'mock/index': 'src/mock/index.ts',
      'mock/node/index': 'src/mock/node/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2023',
    platform: 'neutral',
    // One shared chunk per module across entries, so an error class is the same class whichever
    // entry threw it (instanceof holds across ecis-consumer, /consent, /schemas and /mock).
    splitting: true,
    treeshake: true,
  },
  {
    // The `ecis` command: Node only, ESM, keeps its shebang.
    entry: { 'cli/index': 'src/cli/index.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node22',
    platform: 'node',
    splitting: false,
  },
])
