/**
 * Serves the browser example on http://localhost:5173 (the SPA redirect URI the backend example
 * registers) and proxies the backend's routes, so the page and its API share one origin.
 *
 *   npx vite --config examples/browser/vite.config.ts
 */
import { defineConfig } from 'vite'

const backend = process.env.BACKEND_URL ?? 'http://127.0.0.1:3000'

export default defineConfig({
  root: import.meta.dirname,
  server: {
    host: 'localhost',
    port: 5173,
    strictPort: true,
    proxy: { '/api': backend, '/accounts': backend, '/invoices': backend },
  },
})
