/** Opening a URL in the user's browser, best effort: a failure is never an error. */
import { spawn } from 'node:child_process'

/** Whether a browser can be shown: macOS and Windows always; elsewhere only with a display. */
export function canOpenBrowser(env: Record<string, string | undefined>, platform = process.platform): boolean {
  if (platform === 'darwin' || platform === 'win32') return true
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
}

/** Starts the platform's URL opener, detached; errors (no opener installed …) are swallowed. */
export function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? // Not `cmd /c start`: cmd would interpret the URL's `&`.
          ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]]
  try {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true })
    child.on('error', () => {})
    child.unref()
  } catch {
    // Printing the URL is enough.
  }
}
