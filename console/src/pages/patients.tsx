// Patient search by name, birth date and identifier (FHIR search on the server), results linking
// to the chart.
import { useState } from 'preact/hooks';
import { fhir, resources } from '../fhir';
import { ErrorBox, humanName } from '../ui';

interface PatientRow {
  id: string;
  name: string;
  birthDate?: string;
  gender?: string;
  mrn?: string;
}

export function PatientSearch() {
  const [name, setName] = useState('');
  const [birthDate, setBirthDate] = useState('');
  const [identifier, setIdentifier] = useState('');
  const [rows, setRows] = useState<PatientRow[] | undefined>();
  const [total, setTotal] = useState<number | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const search = async (e?: Event) => {
    e?.preventDefault();
    const q = new URLSearchParams({ _count: '25', _sort: 'family', _total: 'accurate' });
    if (name.trim()) q.set('name', name.trim());
    if (birthDate) q.set('birthdate', birthDate);
    if (identifier.trim()) q.set('identifier', identifier.trim());
    setBusy(true);
    setError(undefined);
    try {
      const bundle = await fhir(`Patient?${q}`);
      setTotal(bundle.total);
      setRows(
        resources(bundle).map((p: any) => ({
          id: p.id,
          name: humanName(p),
          birthDate: p.birthDate,
          gender: p.gender,
          mrn: p.identifier?.find((i: any) => i.type?.coding?.some((c: any) => c.code === 'MR'))?.value ?? p.identifier?.[0]?.value,
        })),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Patients</h1>
      <form class="card search" onSubmit={search} role="search" aria-label="Find a patient">
        <label>
          Name
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" placeholder="e.g. Smith" />
        </label>
        <label>
          Birth date
          <input name="birthdate" type="date" value={birthDate} onInput={(e) => setBirthDate(e.currentTarget.value)} />
        </label>
        <label>
          Identifier
          <input name="identifier" value={identifier} onInput={(e) => setIdentifier(e.currentTarget.value)} autoComplete="off" placeholder="MRN or system|value" />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      <ErrorBox error={error} />
      {rows && (
        <section class="card" aria-labelledby="results-h">
          <h2 id="results-h">
            {total ?? rows.length} patient{(total ?? rows.length) === 1 ? '' : 's'} found{total !== undefined && total > rows.length ? ` (first ${rows.length} shown)` : ''}
          </h2>
          {rows.length === 0 ? (
            <p class="muted">No patient matches. Try part of a family name.</p>
          ) : (
            <ul class="results">
              {rows.map((r) => (
                <li key={r.id}>
                  <a href={`#/patient/${encodeURIComponent(r.id)}`}>{r.name}</a>
                  <span class="muted">
                    {' '}
                    {r.gender ?? ''} · born {r.birthDate ?? '–'} · {r.mrn ? `MRN ${r.mrn}` : `Patient/${r.id}`}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
