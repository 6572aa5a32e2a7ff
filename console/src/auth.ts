// How the console gets its session. The server tells (features.json) whether auth is on; with
// `smart` the console is a SMART app that signs in through the server's own authorization server
// with the fhirclient library (standalone launch, PKCE, public client `nimbus-console`); with auth
// off it calls anonymously (which the server allows on loopback only).
import FHIR from 'fhirclient';
import { fhirBase, setSession, type Session } from './fhir';

export const CONSOLE_CLIENT_ID = 'nimbus-console';
/** What the console asks for; the server narrows it to the user's role. */
const SCOPE = 'openid fhirUser online_access user/*.cruds';

export interface Features {
  auth: 'off' | 'smart' | 'external';
  cdsHooks: boolean;
  docs: boolean;
  version: string;
}

export async function loadFeatures(): Promise<Features> {
  const res = await fetch(new URL('features.json', new URL('./', location.href)).href, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`The server did not describe itself (features.json answered ${res.status})`);
  return (await res.json()) as Features;
}

function redirectUri(): string {
  return new URL('./', location.href).href.split('?')[0].split('#')[0];
}

/** The session when there is one; undefined when a SMART sign-in is needed. */
export async function resumeSession(features: Features): Promise<Session | undefined> {
  const base = fhirBase();
  if (features.auth === 'off') {
    const s: Session = { base, mode: 'anonymous' };
    setSession(s);
    return s;
  }
  if (features.auth !== 'smart') return undefined;
  const params = new URLSearchParams(location.search);
  const returning = params.has('code') || params.has('error');
  if (!returning && !sessionStorage.getItem('SMART_KEY')) return undefined;
  try {
    const client = await FHIR.oauth2.ready();
    if (returning) {
      // Leave the code out of the address bar and history; go back where sign-in started.
      const hash = sessionStorage.getItem('console-return') ?? '';
      history.replaceState(null, '', `${redirectUri()}${hash}`);
    }
    const idToken = client.getIdToken() as { fhirUser?: string; sub?: string } | null;
    const s: Session = {
      base,
      mode: 'smart',
      user: (idToken?.fhirUser ?? idToken?.sub ?? client.getFhirUser() ?? undefined)?.replace(`${base}/`, ''),
      authorization: async () => {
        await client.refreshIfNeeded();
        return client.getAuthorizationHeader() ?? undefined;
      },
      signOut: () => {
        sessionStorage.clear();
        location.assign(redirectUri());
      },
    };
    setSession(s);
    return s;
  } catch (e) {
    sessionStorage.removeItem('SMART_KEY');
    if (returning) throw e;
    return undefined;
  }
}

export function signIn(): Promise<string | void> {
  sessionStorage.setItem('console-return', location.hash);
  return FHIR.oauth2.authorize({ iss: fhirBase(), clientId: CONSOLE_CLIENT_ID, scope: SCOPE, redirectUri: redirectUri() });
}
