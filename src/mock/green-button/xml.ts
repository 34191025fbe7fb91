/** A minimal XML writer for the generated ESPI feeds: escaped text, elements in order. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }

/** Text escaped for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ESCAPES[c] as string)
}

/** `<name>value</name>` with escaped text, or '' when the value is undefined. */
export function leaf(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`
}

/** `<name>children…</name>`. */
export function node(name: string, ...children: string[]): string {
  return `<${name}>${children.join('')}</${name}>`
}
