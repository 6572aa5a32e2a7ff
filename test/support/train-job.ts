// Runs `$train` as an asynchronous job through the server (Prefer: respond-async) and polls its
// status URL until the job has ended, as a client would; the AI suites train every target this way.
import type { TestServer } from './server';

const FHIR = 'application/fhir+json';

export function postParameters(t: TestServer, url: string, parameter: object[], headers: Record<string, string> = {}) {
  return t.http.post(url).set({ 'Content-Type': FHIR, ...headers }).send({ resourceType: 'Parameters', parameter });
}

export async function trainJob(t: TestServer, parameter: object[]) {
  const kick = await postParameters(t, '/fhir/$train', parameter, { Prefer: 'respond-async' });
  expect(kick.status).toBe(202);
  const status = new URL(kick.headers['content-location']).pathname;
  for (let i = 0; i < 3000; i++) {
    const r = await t.http.get(status);
    if (r.status !== 202) return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the $train job did not finish');
}
