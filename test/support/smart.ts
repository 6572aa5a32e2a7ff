// Helpers for the SMART tests: a PKCE pair, a browser that walks the login and consent pages
// (cookies, hidden form fields, redirects) over real HTTP, and client-assertion signing.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface PageForm {
  action: string;
  fields: Record<string, string>;
  /** The <option> values of the patient picker, when there is one. */
  options: string[];
}

export function parseForm(html: string): PageForm {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in page:\n${html.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]] = m[2].replace(/&amp;/g, '&');
  const options = [...html.matchAll(/<option value="([^"]+)">/g)].map((m) => m[1]);
  return { action, fields, options };
}

/** A tiny cookie-aware browser over fetch: keeps cookies per origin, follows nothing by itself. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ status: number; location?: string; text: string; url: string }> {
    const headers: Record<string, string> = {};
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!value || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const location = res.headers.get('location') ?? undefined;
    return { status: res.status, location: location && new URL(location, url).toString(), text: await res.text(), url };
  }

  /** Submits a page's form with extra fields; relative actions resolve against the page URL. */
  submit(pageUrl: string, form: PageForm, extra: Record<string, string>) {
    return this.request(new URL(form.action, pageUrl).toString(), { form: { ...form.fields, ...extra } });
  }

  /** GET authorize → sign in → (pick patient) → allow: the redirect back to the app. */
  async authorize(authorizeUrl: string, user: { username: string; password: string }, options: { patient?: string; decision?: 'allow' | 'deny' } = {}): Promise<URL> {
    const login = await this.request(authorizeUrl);
    if (login.status !== 200) {
      if (login.location) return new URL(login.location);
      throw new Error(`authorize answered ${login.status}: ${login.text.slice(0, 500)}`);
    }
    const consent = await this.submit(authorizeUrl, parseForm(login.text), user);
    if (consent.status !== 200) throw new Error(`login answered ${consent.status}: ${consent.text.slice(0, 500)}`);
    const form = parseForm(consent.text);
    const extra: Record<string, string> = { decision: options.decision ?? 'allow' };
    if (form.options.length) extra.patient = options.patient ?? form.options[0];
    const back = await this.submit(authorizeUrl, form, extra);
    if (back.status !== 303 || !back.location) throw new Error(`consent answered ${back.status}: ${back.text.slice(0, 500)}`);
    return new URL(back.location);
  }
}

export interface ClientKey {
  alg: 'RS384' | 'ES384';
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

export async function clientKey(alg: 'RS384' | 'ES384'): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

/** A SMART Backend Services client assertion (RFC 7523). */
export function clientAssertion(key: ClientKey, clientId: string, tokenUrl: string, options: { expiresIn?: number; jti?: string; now?: number } = {}): Promise<string> {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  return new SignJWT({ jti: options.jti ?? randomUUID() })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 240))
    .sign(key.privateKey);
}
