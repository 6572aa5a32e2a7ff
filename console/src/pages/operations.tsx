// Operations: asynchronous jobs with their progress (the R4 async pattern: a 202 kick-off, then
// the status URL answers 202 + X-Progress until the job is done), and the audit log for
// administrators. The jobs listed are those this console started plus the ones the server process
// reports running on /metrics (nimbus_job_progress_ratio), so jobs started elsewhere show too.
import { useEffect, useState } from 'preact/hooks';
import { absolute, currentSession, fhir, outcomeText, raw, resources, serverRoot } from '../fhir';
import { ErrorBox, Loading, Section, display, formatDate, useLoad } from '../ui';

interface Job {
  url: string;
  operation: string;
  state: 'running' | 'completed' | 'failed' | 'cancelled';
  progress?: number;
  text: string;
}

const STORE = 'console-jobs';
const saved = (): Array<{ url: string; operation: string }> => JSON.parse(sessionStorage.getItem(STORE) ?? '[]');

function percent(progress: string | null): number | undefined {
  const m = /\(([\d.]+) %\)/.exec(progress ?? '');
  return m ? Number(m[1]) : undefined;
}

async function poll(job: { url: string; operation: string }): Promise<Job> {
  const answer = await raw('GET', job.url);
  if (answer.status === 202) return { ...job, state: 'running', progress: percent(answer.headers.get('X-Progress')), text: answer.headers.get('X-Progress') ?? 'in progress' };
  if (answer.status === 200) {
    let text = 'completed';
    try {
      const body = JSON.parse(answer.text);
      if (Array.isArray(body.output)) text = `completed: ${body.output.length} file(s), ${body.output.reduce((n: number, o: any) => n + (o.count ?? 0), 0)} resources`;
      else if (body.resourceType === 'Parameters') text = `completed: ${body.parameter.map((p: any) => `${p.name} ${p.valueInteger ?? p.valueString ?? ''}`).join(', ')}`;
    } catch {
      // not JSON: "completed" says enough
    }
    return { ...job, state: 'completed', progress: 100, text };
  }
  if (answer.status === 404) return { ...job, state: 'cancelled', text: 'gone (cancelled or expired)' };
  return { ...job, state: 'failed', text: outcomeText(answer) };
}

/** Jobs the server process is running now, from its Prometheus metrics. */
async function runningOnServer(): Promise<Array<{ url: string; operation: string }>> {
  const res = await fetch(`${serverRoot()}/metrics`);
  if (!res.ok) return [];
  const out: Array<{ url: string; operation: string }> = [];
  for (const m of (await res.text()).matchAll(/^nimbus_job_progress_ratio\{([^}]*)\}/gm)) {
    const op = /operation="([^"]+)"/.exec(m[1])?.[1];
    const id = /job="([^"]+)"/.exec(m[1])?.[1];
    if (op && id) out.push({ url: absolute(`_async/${id}`), operation: op });
  }
  return out;
}

function Jobs() {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    const refresh = async () => {
      try {
        const known = saved();
        for (const j of await runningOnServer()) if (!known.some((k) => k.url === j.url)) known.push(j);
        sessionStorage.setItem(STORE, JSON.stringify(known.slice(-20)));
        const polled = await Promise.all(known.slice(-20).map(poll));
        if (live) setJobs(polled.reverse());
        if (live && polled.some((j) => j.state === 'running')) timer = setTimeout(refresh, 1000);
      } catch (e) {
        if (live) setError(e);
      }
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    void refresh();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [tick]);

  const kickOff = async (operation: string, method: string, url: string) => {
    setError(undefined);
    try {
      const answer = await raw(method, url, { headers: { Prefer: 'respond-async' }, body: method === 'POST' ? JSON.stringify({ resourceType: 'Parameters' }) : undefined });
      const location = answer.headers.get('Content-Location');
      if (answer.status !== 202 || !location) throw new Error(outcomeText(answer));
      sessionStorage.setItem(STORE, JSON.stringify([...saved(), { url: location, operation }]));
      setTick((t) => t + 1);
    } catch (e) {
      setError(e);
    }
  };
  const cancel = async (job: Job) => {
    const answer = await raw('DELETE', job.url);
    if (answer.status >= 400 && answer.status !== 404) setError(new Error(outcomeText(answer)));
    setTick((t) => t + 1);
  };

  return (
    <Section title="Jobs" id="jobs-h">
      <p class="actions">
        <button type="button" onClick={() => kickOff('export', 'GET', '$export')}>
          Start a whole-store $export
        </button>
        <button type="button" onClick={() => kickOff('reindex', 'POST', '$reindex')}>
          Start a $reindex
        </button>
      </p>
      <ErrorBox error={error} />
      {jobs.length === 0 ? (
        <p class="muted">No job started from this console, and none running on the server.</p>
      ) : (
        <ul class="jobs">
          {jobs.map((j) => (
            <li key={j.url} data-state={j.state}>
              <span class="job-name">${j.operation}</span>
              <progress max={100} value={j.progress} aria-label={`$${j.operation} progress`}>
                {j.progress ?? 0} %
              </progress>
              <span class="muted">{j.text}</span>
              {j.state === 'running' && (
                <button type="button" onClick={() => cancel(j)}>
                  Cancel<span class="sr-only"> ${j.operation}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function AuditLog() {
  // Signed in, the log is for administrators: it loads when asked, so other users do not meet a
  // refusal (and the browser does not log one) just by opening the page.
  const [asked, setAsked] = useState(currentSession().mode === 'anonymous');
  if (!asked)
    return (
      <Section title="Audit log" id="audit-h">
        <p class="muted">Who read and changed what (administrators only).</p>
        <button type="button" onClick={() => setAsked(true)}>
          Show the audit log
        </button>
      </Section>
    );
  return <AuditTable />;
}

function AuditTable() {
  const log = useLoad(() => fhir('AuditEvent?_sort=-date&_count=30'), []);
  const events = log.data ? resources(log.data) : [];
  return (
    <Section title="Audit log" id="audit-h">
      {log.loading && <Loading what="the audit log" />}
      {log.error ? (
        <p class="muted">The audit log is for administrators: {String((log.error as Error).message)}</p>
      ) : (
        log.data &&
        (events.length === 0 ? (
          <p class="muted">No AuditEvent stored. Auditing is on when auth is on (or with NIMBUS_AUDIT=true).</p>
        ) : (
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e: any) => (
                  <tr key={e.id}>
                    <td>{formatDate(e.recorded)}</td>
                    <td>{display(e.subtype?.[0] ? { coding: [e.subtype[0]] } : undefined) !== '–' ? display({ coding: [e.subtype[0]] }) : e.action}</td>
                    <td>{e.agent?.find((a: any) => a.requestor)?.who?.reference ?? e.agent?.[0]?.who?.display ?? '–'}</td>
                    <td>{e.entity?.map((x: any) => x.what?.reference ?? x.query).filter(Boolean).slice(0, 2).join(', ') || '–'}</td>
                    <td>{e.outcome === '0' ? 'success' : `failure (${e.outcome})`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))
      )}
    </Section>
  );
}

export function Operations() {
  return (
    <>
      <h1 tabIndex={-1}>Operations</h1>
      <Jobs />
      <AuditLog />
    </>
  );
}
