/** Files only the user may read: grants and private keys (mode 0600, directory 0700). */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { EciConfigError, ErrorCode } from '../errors.js'

/**
 * Writes `text` with mode 0600, atomically (a temporary file, then rename). With
 * `overwrite: false` an existing file is an error and stays untouched.
 */
export async function writePrivateFile(
  path: string,
  text: string,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  if (options.overwrite === false) {
    try {
      // `wx` fails when the file exists; the empty file is replaced by the rename below.
      await writeFile(path, '', { mode: 0o600, flag: 'wx' })
    } catch (cause) {
      const exists = (cause as { code?: string }).code === 'EEXIST'
      throw new EciConfigError(
        ErrorCode.INVALID_OPTION,
        exists ? `${path} exists; pass --force to replace it` : `Cannot write ${path}`,
        { cause },
      )
    }
  }
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' })
    await chmod(tmp, 0o600)
    await rename(tmp, path)
  } catch (cause) {
    await rm(tmp, { force: true })
    if (options.overwrite === false) await rm(path, { force: true })
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `Cannot write ${path}`, { cause })
  }
}
