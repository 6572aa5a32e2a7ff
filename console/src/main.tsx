// The console: a hash router over the pages, the header with navigation, and the session
// (anonymous on loopback, or a SMART sign-in; auth.ts).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { loadFeatures, resumeSession, signIn, type Features } from './auth';
import { currentSession, errorText } from './fhir';
import { PatientSearch } from './pages/patients';
import { PatientChart } from './pages/patient';
import { Dashboards } from './pages/dashboards';
import { Scheduling } from './pages/scheduling';
import { Operations } from './pages/operations';
import { Playground } from './pages/playground';

const PAGES = [
  { path: 'patients', label: 'Patients' },
  { path: 'dashboards', label: 'Dashboards' },
  { path: 'scheduling', label: 'Scheduling' },
  { path: 'operations', label: 'Operations' },
  { path: 'playground', label: 'Playground' },
];

function useRoute(): string[] {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'patients').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function Page({ route, features }: { route: string[]; features: Features }) {
  switch (route[0]) {
    case 'patient':
      return <PatientChart id={route[1] ?? ''} features={features} />;
    case 'dashboards':
      return <Dashboards />;
    case 'scheduling':
      return <Scheduling />;
    case 'operations':
      return <Operations />;
    case 'playground':
      return <Playground features={features} />;
    default:
      return <PatientSearch />;
  }
}

function App({ features }: { features: Features }) {
  const route = useRoute();
  const session = currentSession();
  const active = route[0] === 'patient' ? 'patients' : route[0];
  const first = useRef(true);
  useEffect(() => {
    // Move focus to the page's heading on navigation (not on the first load, where Tab should
    // reach the skip link first), so keyboard and screen-reader users land on the new page.
    if (!first.current) document.querySelector<HTMLElement>('main h1')?.focus();
    first.current = false;
    const label = PAGES.find((p) => p.path === active)?.label ?? 'Patient';
    document.title = `${label} · Nimbus FHIR console`;
  }, [route.join('/')]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Nimbus FHIR</span>
        <nav aria-label="Console">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={`#/${p.path}`} aria-current={active === p.path ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {session.mode === 'smart' ? (
            <>
              {session.user ?? 'signed in'}{' '}
              <button type="button" class="link" onClick={() => session.signOut?.()}>
                Sign out
              </button>
            </>
          ) : (
            'anonymous (auth off)'
          )}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} features={features} />
      </main>
    </>
  );
}

function SignIn({ features, error }: { features: Features; error?: string }) {
  return (
    <main id="main" class="signin">
      <h1>Nimbus FHIR console</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {features.auth === 'smart' ? (
        <>
          <p>This server requires sign-in. The console is a SMART app: you sign in on the server's own authorization page.</p>
          <button type="button" class="primary" onClick={() => signIn().catch((e) => alert(errorText(e)))}>
            Sign in
          </button>
        </>
      ) : (
        <p>
          This server trusts tokens from an external authorization server (NIMBUS_AUTH=external). Register the console there, or use the API
          directly.
        </p>
      )}
    </main>
  );
}

async function start(root: HTMLElement): Promise<void> {
  let features: Features;
  try {
    features = await loadFeatures();
  } catch (e) {
    render(<p class="error" role="alert">{errorText(e)}</p>, root);
    return;
  }
  try {
    const session = await resumeSession(features);
    render(session ? <App features={features} /> : <SignIn features={features} />, root);
  } catch (e) {
    render(<SignIn features={features} error={`Sign-in failed: ${errorText(e)}`} />, root);
  }
}

void start(document.getElementById('app')!);
