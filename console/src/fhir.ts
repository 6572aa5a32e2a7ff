// The console's only way to the server: FHIR calls relative to the FHIR base, with the SMART
// access token when signed in. Errors carry the server's OperationOutcome text, which says what
// to fix, so pages show it as is.
export interface Session {
  /** Absolute FHIR base, e.g. http://127.0.0.1:8080/fhir */
  base: string;
  mode: 'anonymous' | 'smart';
  /** The Authorization header value, refreshed when needed (SMART mode). */
  authorization?: () => Promise<string | undefined>;
  user?: string;
  signOut?: () => void;
}

let session: Session = { base: fhirBase(), mode: 'anonymous' };

export function setSession(s: Session): void {
  session = s;
}

export function currentSession(): Session {
  return session;
}

/** The FHIR base next to the console: <prefix>/console/ → <prefix>/fhir. */
export function fhirBase(): string {
  return new URL('../fhir', new URL('./', location.href)).href.replace(/\/$/, '');
}

/** Origin-relative root of the server (where /cds-services and /docs live). */
export function serverRoot(): string {
  return new URL('../', new URL('./', location.href)).href.replace(/\/$/, '');
}

export class FhirHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RawAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

/** One HTTP call to an absolute URL or a path relative to the FHIR base; never throws on status. */
export async function raw(method: string, url: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  const headers: Record<string, string> = { Accept: 'application/fhir+json', ...options.headers };
  const auth = await session.authorization?.();
  if (auth && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) headers.Authorization = auth;
  if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/fhir+json';
  const res = await fetch(absolute(url), { method, headers, body: options.body });
  return { status: res.status, statusText: res.statusText, headers: res.headers, text: await res.text() };
}

export function absolute(url: string): string {
  return /^https?:/.test(url) ? url : `${session.base}/${url.replace(/^\//, '')}`;
}

/** A FHIR call whose answer is JSON; a 4xx/5xx becomes a FhirHttpError with the outcome's text. */
export async function fhir<T = any>(url: string, options: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const answer = await raw(options.method ?? (body ? 'POST' : 'GET'), url, { headers: options.headers, body });
  if (answer.status >= 400) throw new FhirHttpError(answer.status, outcomeText(answer));
  return (answer.text ? JSON.parse(answer.text) : undefined) as T;
}

export function outcomeText(answer: RawAnswer): string {
  try {
    const body = JSON.parse(answer.text);
    if (body?.resourceType === 'OperationOutcome') {
      const text = (body.issue ?? []).map((i: { diagnostics?: string; details?: { text?: string }; code?: string }) => i.diagnostics ?? i.details?.text ?? i.code).join('; ');
      if (text) return `${answer.status}: ${text}`;
    }
  } catch {
    // not JSON: fall through to the status line
  }
  return `${answer.status} ${answer.statusText}`.trim();
}

/** The resources of a searchset Bundle (matches only, not included ones). */
export function resources<T = any>(bundle: { entry?: { resource?: T; search?: { mode?: string } }[] }): T[] {
  return (bundle.entry ?? []).filter((e) => e.resource && e.search?.mode !== 'include').map((e) => e.resource as T);
}

/** A Parameters resource from name/value pairs: `value` keys are FHIR value[x] names. */
export function parameters(list: Array<{ name: string } & Record<string, unknown>>): { resourceType: 'Parameters'; parameter: unknown[] } {
  return { resourceType: 'Parameters', parameter: list };
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
