/**
 * Where the CLI keeps the grant: a JSON file (mode 0600, directory 0700), default
 * `$ECIS_GRANT_FILE` or `~/.config/ecis/grant.json`, and next to it a sidecar config
 * (`grant.config.json`) with the PATH of the client's key — never the key itself.
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { EciConfigError, ErrorCode } from '../errors.js'
import type { Grant } from '../grant/grant.js'
import { writePrivateFile } from './private-file.js'

/** What the sidecar config holds: how to use the grant again, no secret. */
export interface GrantConfig {
  /** Absolute path of the client's private key file. */
  keyPath: string
  /** The grant was made with `--allow-insecure` (an http:// provider such as `ecis mock`). */
  allowInsecureRequests?: boolean | undefined
}

/** `$ECIS_GRANT_FILE`, else `$XDG_CONFIG_HOME/ecis/grant.json`, else `~/.config/ecis/grant.json`. */
export function defaultGrantFile(env: Record<string, string | undefined>): string {
  if (env.ECIS_GRANT_FILE) return resolve(env.ECIS_GRANT_FILE)
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config')
  return join(config, 'ecis', 'grant.json')
}

/** `…/grant.json` → `…/grant.config.json`. */
export function configFileFor(grantFile: string): string {
  return `${grantFile.replace(/\.json$/i, '')}.config.json`
}

/** Writes `value` as JSON with mode 0600 (atomically). */
function writePrivateJson(path: string, value: unknown): Promise<void> {
  return writePrivateFile(path, `${JSON.stringify(value, null, 2)}\n`)
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8')
  return JSON.parse(text)
}

/** Stores the grant (0600). */
export function writeGrant(path: string, grant: Grant): Promise<void> {
  return writePrivateJson(path, grant)
}

/** Stores the sidecar config (0600). */
export function writeGrantConfig(grantFile: string, config: GrantConfig): Promise<void> {
  return writePrivateJson(configFileFor(grantFile), config)
}

/** Reads the stored grant; the SDK checks its shape when a session opens on it. */
export async function readGrant(path: string): Promise<Grant> {
  try {
    return (await readJson(path)) as Grant
  } catch (cause) {
    const missing = (cause as { code?: string }).code === 'ENOENT'
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      missing
        ? `No grant at ${path}: run "ecis consent" first, or pass --grant-file`
        : `The grant file ${path} cannot be read as JSON`,
      { cause },
    )
  }
}

/** Reads the sidecar config; `undefined` when there is none. */
export async function readGrantConfig(grantFile: string): Promise<GrantConfig | undefined> {
  const path = configFileFor(grantFile)
  let value: unknown
  try {
    value = await readJson(path)
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') return undefined
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `The config file ${path} cannot be read as JSON`, { cause })
  }
  const c = value as Partial<GrantConfig> | null
  if (!c || typeof c !== 'object' || typeof c.keyPath !== 'string') {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `The config file ${path} has no keyPath`)
  }
  return { keyPath: c.keyPath, allowInsecureRequests: c.allowInsecureRequests === true }
}
