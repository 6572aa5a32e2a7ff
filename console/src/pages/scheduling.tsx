// Scheduling: find free slots for a service near a place (Appointment/$find with `near`), hold one
// ($hold), book it ($book) and cancel it ($cancel). The server does the finding and guards the
// slots; the console walks a person through the steps.
import { useState } from 'preact/hooks';
import { fhir, parameters, resources } from '../fhir';
import { ErrorBox, Loading, Section, display, formatDate, useLoad } from '../ui';
import { LAST_PATIENT } from './patient';

interface Directory {
  services: Array<{ token: string; label: string }>;
  locations: Array<{ id: string; name: string; lat?: number; lon?: number }>;
  names: Map<string, string>;
}

async function loadDirectory(): Promise<Directory> {
  const [schedules, locations, practitioners] = await Promise.all([fhir('Schedule?_count=500&_elements=serviceType'), fhir('Location?_count=200'), fhir('Practitioner?_count=500&_elements=name')]);
  const services = new Map<string, string>();
  for (const s of resources(schedules)) for (const c of s.serviceType ?? []) for (const k of c.coding ?? []) services.set(`${k.system}|${k.code}`, k.display ?? k.code);
  const names = new Map<string, string>();
  const locs = resources(locations).map((l: any) => {
    names.set(`Location/${l.id}`, l.name ?? l.id);
    return { id: l.id, name: l.name ?? l.id, lat: l.position?.latitude, lon: l.position?.longitude };
  });
  for (const p of resources(practitioners)) {
    const n = p.name?.[0];
    names.set(`Practitioner/${p.id}`, n?.text ?? [n?.prefix?.join(' '), n?.given?.join(' '), n?.family].filter(Boolean).join(' ') ?? p.id);
  }
  return { services: [...services].map(([token, label]) => ({ token, label })).sort((a, b) => a.label.localeCompare(b.label)), locations: locs, names };
}

type Step = { state: 'proposed' | 'held' | 'booked' | 'cancelled'; appointment: any };

export function Scheduling() {
  const dir = useLoad(loadDirectory, []);
  const [service, setService] = useState('');
  const [location, setLocation] = useState('');
  const [distance, setDistance] = useState('25');
  const [from, setFrom] = useState(new Date().toISOString().slice(0, 10));
  const [patient, setPatient] = useState(() => sessionStorage.getItem(LAST_PATIENT) ?? '');
  const [proposals, setProposals] = useState<any[] | undefined>();
  const [chosen, setChosen] = useState<Step | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await what();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const find = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const q = new URLSearchParams({ _count: '10', start: from });
      if (service) q.set('service-type', service);
      const loc = dir.data?.locations.find((l) => l.id === location);
      if (loc?.lat !== undefined) q.set('near', `${loc.lat}|${loc.lon}|${distance || '25'}|km`);
      if (patient.trim()) q.set('patient', `Patient/${patient.trim().replace(/^Patient\//, '')}`);
      setChosen(undefined);
      setProposals(resources(await fhir(`Appointment/$find?${q}`)));
    });
  };

  const hold = (proposal: any) =>
    run(async () => {
      const held = await fhir('Appointment/$hold', { body: parameters([{ name: 'appointment', resource: proposal }]) });
      setChosen({ state: 'held', appointment: held });
    });
  const book = () =>
    run(async () => {
      const booked = await fhir('Appointment/$book', { body: parameters([{ name: 'appointment', resource: chosen!.appointment }]) });
      setChosen({ state: 'booked', appointment: booked });
    });
  const cancel = () =>
    run(async () => {
      const cancelled = await fhir(`Appointment/${encodeURIComponent(chosen!.appointment.id)}/$cancel`, { body: parameters([{ name: 'reason', valueString: 'Cancelled in the console' }]) });
      setChosen({ state: 'cancelled', appointment: cancelled });
    });

  const who = (a: any, type: string) => {
    const ref = a.participant?.find((p: any) => p.actor?.reference?.startsWith(`${type}/`))?.actor?.reference;
    return ref ? (dir.data?.names.get(ref) ?? ref) : '–';
  };
  const holdExpires = chosen?.appointment.extension?.find((x: any) => x.url.endsWith('/slot-hold'))?.extension?.find((x: any) => x.url === 'expires')?.valueInstant;

  return (
    <>
      <h1 tabIndex={-1}>Scheduling</h1>
      {dir.loading && <Loading what="services and places" />}
      <ErrorBox error={dir.error} />
      <form class="card search" onSubmit={find} aria-label="Find a free slot">
        <label>
          Service
          <select name="service" value={service} onChange={(e) => setService(e.currentTarget.value)}>
            <option value="">Any service</option>
            {dir.data?.services.map((s) => (
              <option key={s.token} value={s.token}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Near
          <select name="location" value={location} onChange={(e) => setLocation(e.currentTarget.value)}>
            <option value="">Anywhere</option>
            {dir.data?.locations.filter((l) => l.lat !== undefined).map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Within (km)
          <input name="distance" type="number" min="1" max="500" value={distance} onInput={(e) => setDistance(e.currentTarget.value)} />
        </label>
        <label>
          From
          <input name="from" type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          Patient id
          <input name="patient" value={patient} onInput={(e) => setPatient(e.currentTarget.value)} placeholder="e.g. pat-000001" autoComplete="off" />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Find slots
        </button>
      </form>
      <ErrorBox error={error} />
      {chosen && (
        <Section title={`Appointment ${chosen.state}`} id="chosen-h">
          <p role="status" data-state={chosen.state} data-appointment={chosen.appointment.id ?? ''}>
            {formatDate(chosen.appointment.start)} · {display(chosen.appointment.serviceType?.[0])} with {who(chosen.appointment, 'Practitioner')} at {who(chosen.appointment, 'Location')}
            {chosen.state === 'held' && holdExpires && ` · held until ${formatDate(holdExpires)}`}
            {chosen.appointment.id && ` · Appointment/${chosen.appointment.id}`}
          </p>
          <p class="actions">
            {chosen.state === 'held' && (
              <button type="button" class="primary" onClick={book} disabled={busy || !patient.trim()} title={patient.trim() ? undefined : 'A booking needs a patient'}>
                Book
              </button>
            )}
            {chosen.state === 'booked' && (
              <button type="button" onClick={cancel} disabled={busy}>
                Cancel appointment
              </button>
            )}
          </p>
          {chosen.state === 'held' && !patient.trim() && <p class="muted">Enter a patient id and find again to book for a patient.</p>}
        </Section>
      )}
      {proposals && (
        <Section title={`${proposals.length} free slot${proposals.length === 1 ? '' : 's'}`} id="slots-h">
          {proposals.length === 0 ? (
            <p class="muted">No free slot matches. Widen the distance, choose another service or a later date.</p>
          ) : (
            <div class="scroll">
              <table class="slots">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Service</th>
                    <th scope="col">Clinician</th>
                    <th scope="col">Place</th>
                    <th scope="col">
                      <span class="sr-only">Action</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {proposals.map((p) => (
                    <tr key={p.slot?.map((s: any) => s.reference).join()}>
                      <td>{formatDate(p.start)}</td>
                      <td>{display(p.serviceType?.[0])}</td>
                      <td>{who(p, 'Practitioner')}</td>
                      <td>{who(p, 'Location')}</td>
                      <td>
                        <button type="button" onClick={() => hold(p)} disabled={busy}>
                          Hold<span class="sr-only"> the slot at {formatDate(p.start)}</span>
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Section>
      )}
    </>
  );
}
