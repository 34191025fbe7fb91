/**
 * Optional peer dependencies (`msw`, `bullmq`, `pg`, `ioredis`) that an entry loads when it
 * first needs them: a missing one becomes an `EciConfigError` that names the package to install,
 * not the runtime's bare module-not-found error.
 * @module
 */
import { EciConfigError, ErrorCode } from './errors.js'

/** Whether `error` is the runtime failing to find the package `name` (ESM import or CommonJS require). */
function isNotFound(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false
  return typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`"${name}"`))
}

/**
 * Loads an optional peer through `load` (a dynamic `import()` the bundler keeps); when the package
 * is not installed, rejects with an `EciConfigError` (`ERR_ECI_INVALID_OPTION`: the app's setup
 * lacks a package) naming it and the entry that needs it.
 * @internal
 */
export async function loadPeer<T>(name: string, entry: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    if (!isNotFound(error, name)) throw error
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      `${entry} needs the optional peer dependency ${name}, which is not installed: npm install ${name}`,
      { cause: error },
    )
  }
}
