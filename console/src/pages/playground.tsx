// The request playground: method, URL, headers and body in; status, headers and body out.
import { useState } from 'preact/hooks';
import type { Features } from '../auth';
import { absolute, currentSession, errorText, raw, serverRoot, type RawAnswer } from '../fhir';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function Playground({ features }: { features: Features }) {
  const [method, setMethod] = useState('GET');
  const [url, setUrl] = useState('metadata?_summary=true');
  const [headers, setHeaders] = useState('Accept: application/fhir+json');
  const [body, setBody] = useState('');
  const [answer, setAnswer] = useState<(RawAnswer & { ms: number }) | undefined>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const started = performance.now();
    try {
      const a = await raw(method, url, { headers: parseHeaders(headers), body: method === 'GET' || method === 'HEAD' || !body.trim() ? undefined : body });
      setAnswer({ ...a, ms: Math.round(performance.now() - started) });
    } catch (err) {
      setError(`The request did not reach the server: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Request playground</h1>
      <p>
        Calls go to <code>{absolute('')}</code>{currentSession().mode === 'smart' ? " with your session's token" : ' anonymously'}.{' '}
        {features.docs ? <a href={`${serverRoot()}/docs`}>API docs</a> : <a href={absolute('metadata')}>The CapabilityStatement</a>} lists what the server
        answers.
      </p>
      <form class="card playground" onSubmit={send} aria-label="Request">
        <div class="row">
          <label>
            Method
            <select name="method" value={method} onChange={(e) => setMethod(e.currentTarget.value)}>
              {METHODS.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
          <label class="grow">
            URL (relative to the FHIR base, or absolute)
            <input name="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} autoComplete="off" spellcheck={false} />
          </label>
        </div>
        <label>
          Headers (one "Name: value" a line)
          <textarea name="headers" rows={3} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} spellcheck={false} />
        </label>
        <label>
          Body
          <textarea name="body" rows={8} value={body} onInput={(e) => setBody(e.currentTarget.value)} spellcheck={false} placeholder='{"resourceType": "Patient"}' />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {answer && (
        <section class="card" aria-labelledby="answer-h">
          <h2 id="answer-h">
            <span data-status={answer.status}>
              {answer.status} {answer.statusText}
            </span>{' '}
            <span class="muted">in {answer.ms} ms</span>
          </h2>
          <details>
            <summary>Headers</summary>
            <pre>{[...answer.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}</pre>
          </details>
          <pre class="response" tabIndex={0} aria-label="Response body">
            {pretty(answer.text)}
          </pre>
        </section>
      )}
    </>
  );
}
