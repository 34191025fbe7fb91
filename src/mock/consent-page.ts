/**
 * The HTML consent screen served when `consent: 'interactive'`: plain HTML, no script, so it
 * works from a browser, a test runner or curl.
 * @module
 */

import { escapeHtml } from './http.js'
import type { AuthorizationRequest } from './state.js'
import type { MockOwner } from './types.js'

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1f23}
h1{font-size:1.4rem}fieldset{border:1px solid #ccd;border-radius:.5rem;margin:1rem 0;padding:.5rem 1rem}
label{display:block;margin:.25rem 0}button{font:inherit;padding:.5rem 1.2rem;margin-right:.5rem;border-radius:.4rem;border:1px solid #888;cursor:pointer}
button[value=approve]{background:#0b6e4f;color:#fff;border-color:#0b6e4f}small{color:#555}`

/** Renders the consent page for one pending authorization request. */
export function consentPage(input: {
  action: string
  txn: string
  request: AuthorizationRequest
  owner: MockOwner
  accounts: string[]
}): Response {
  const { request, owner } = input
  const accountRows = input.accounts
    .map((id) => {
      const account = owner.accounts.find((a) => a.systemAccountId === id)
      const e = escapeHtml(id)
      return `<label><input type="checkbox" name="account" value="${e}" checked> ${e} <small>(${escapeHtml(account?.accountType ?? '')})</small></label>`
    })
    .join('\n')
  const scopes = request.actions.map((a) => `<li><code>eci:${escapeHtml(a)}</code></li>`).join('')
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Share your utility data</title><style>${STYLE}</style></head>
<body>
<h1>Share your utility data with <code>${escapeHtml(request.clientId)}</code>?</h1>
<p>Signed in as <strong>${escapeHtml(owner.name)}</strong> <small>(${escapeHtml(owner.ownerId)})</small>. This is the ECIS mock provider.</p>
<p>The application asks to read:</p><ul>${scopes}</ul>
<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="txn" value="${escapeHtml(input.txn)}">
<fieldset><legend>Accounts to share</legend>
${accountRows || '<p>None of your accounts matches the request.</p>'}
</fieldset>
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>`
  return new Response(html, { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' } })
}
