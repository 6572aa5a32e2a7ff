// The built-in login and consent pages: plain HTML with inline styles, no scripts and no external
// assets (nothing for a Content-Security-Policy to allow but the form posting back here).
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Headers for every page: no framing (clickjacking), no caching, no outside resources. */
export const PAGE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Nimbus FHIR</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
label{display:block;margin:.8rem 0 .2rem}input,select{width:100%;padding:.4rem;box-sizing:border-box}
button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem}.error{color:#a00}ul{padding-left:1.2rem}code{font-size:.9em}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const hidden = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');

export function loginPage(options: { action: string; request: string; csrf: string; appName: string; error?: string }): string {
  return page(
    'Sign in',
    `<p><strong>${escapeHtml(options.appName)}</strong> asks to access FHIR data on your behalf.</p>
${options.error ? `<p class="error">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="${escapeHtml(options.action)}">${hidden({ request: options.request, csrf: options.csrf })}
<label for="username">User name</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`,
  );
}

export interface PatientChoice {
  id: string;
  label: string;
}

export function consentPage(options: {
  action: string;
  request: string;
  csrf: string;
  appName: string;
  user: string;
  scopes: string[];
  /** Present when the user must pick the patient (standalone launch/patient by a practitioner). */
  patients?: PatientChoice[];
  /** The patient already in context (EHR launch or a patient user). */
  patient?: string;
  /** The name the list was searched by. */
  patientSearch?: string;
  error?: string;
}): string {
  // The search button submits the same form (decision=search): the list is narrowed, nothing decided.
  const search = `<label for="name">Find a patient by name</label><input id="name" name="name" value="${escapeHtml(options.patientSearch ?? '')}">
<button type="submit" name="decision" value="search">Search</button>`;
  const picker = options.patients
    ? `${search}<label for="patient">Patient</label><select id="patient" name="patient">${options.patients
        .map((p) => `<option value="${escapeHtml(p.id)}">${escapeHtml(p.label)}</option>`)
        .join('')}</select>${options.patients.length === 0 ? `<p class="error">${options.patientSearch ? 'No patient has that name.' : 'No patients are stored yet.'}</p>` : ''}`
    : options.patient
      ? `<p>Patient: <code>${escapeHtml(options.patient)}</code></p>`
      : '';
  return page(
    'Allow access?',
    `<p>Signed in as <strong>${escapeHtml(options.user)}</strong>.</p>
${options.error ? `<p class="error">${escapeHtml(options.error)}</p>` : ''}
<p><strong>${escapeHtml(options.appName)}</strong> asks for:</p>
<ul>${options.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>
<form method="post" action="${escapeHtml(options.action)}">${hidden({ request: options.request, csrf: options.csrf })}${picker}
<button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button></form>`,
  );
}

export function errorPage(message: string): string {
  return page('Authorization failed', `<p class="error">${escapeHtml(message)}</p><p>Return to the app and start again.</p>`);
}
