import { defineConfig, type Options } from 'tsup'

/** The library entries, built twice: ESM as it is, CommonJS with its ESM-only dependencies inside. */
const library = {
  entry: {
    index: 'src/index.ts',
    'schemas/index': 'src/schemas/index.ts',
    'consent/index': 'src/consent/index.ts',
    'mock/index': 'src/mock/index.ts',
    'mock/node/index': 'src/mock/node/index.ts',
    'postgres/index': 'src/stores/postgres.ts',
    'redis/index': 'src/stores/redis.ts',
    'sync/index': 'src/sync/index.ts',
    'green-button/index': 'src/green-button/index.ts',
    'conformance/index': 'src/conformance/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  // Declarations marked @internal (the session's constructor, resolved options) stay out of the public types.
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  target: 'es2023',
  platform: 'neutral',
  // One shared chunk per module across entries, so an error class is the same class whichever
  // entry threw it (instanceof holds across ecis-consumer, /consent, /schemas, /mock, /postgres and /redis).
  splitting: true,
  treeshake: true,
} satisfies Options

export default defineConfig([
  { ...library, format: ['esm'], clean: true },
  {
    ...library,
    format: ['cjs'],
    clean: false,
    // jose, openid-client and oauth4webapi are ESM-only. Node ≥ 22.12 can require() them, but
    // Jest's CommonJS mode cannot (its module registry has no require(esm) without
    // --experimental-vm-modules), so the CommonJS build carries them inside. ESM apps and bundlers
    // share one copy through the ESM build. msw stays outside: it is the app's peer, and the
    // handlers must come from the app's own copy of it.
    noExternal: [/^jose(\/|$)/, 'openid-client', 'oauth4webapi'],
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
    // msw is only an optional peer of the library, but the CLI's demo and mock run it: bundle it
    // (and its dependencies) so `npx ecis demo` works without installing msw.
    // Bundled CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
    banner: {
      js: "import { createRequire as __ecisCreateRequire } from 'node:module'; const require = __ecisCreateRequire(import.meta.url);",
    },
    noExternal: [
      /^msw/,
      /^@mswjs\//,
      /^@open-draft\//,
      /^graphql/,
      'outvariant',
      'strict-event-emitter',
      'headers-polyfill',
      'is-node-process',
      'path-to-regexp',
      'cookie',
      'statuses',
      'tough-cookie',
      'tldts',
      'tldts-core',
      'rettime',
      'until-async',
      'type-fest',
    ],
  },
])
