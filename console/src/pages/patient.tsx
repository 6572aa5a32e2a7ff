// The patient chart: banner with demographics, risk cards (CDS Hooks patient-view, when the server
// has CDS services), charts of vital signs and labs, and the timeline.
import { useEffect } from 'preact/hooks';
import type { Features } from '../auth';
import { fhir } from '../fhir';
import { ErrorBox, Loading, humanName, useLoad } from '../ui';
import { RiskCards } from './risk';
import { Timeline } from './timeline';
import { Vitals } from './vitals';

export const LAST_PATIENT = 'console-last-patient';

function age(birthDate?: string): string {
  if (!birthDate) return '';
  const b = new Date(birthDate);
  const now = new Date();
  let years = now.getUTCFullYear() - b.getUTCFullYear();
  if (now.getUTCMonth() < b.getUTCMonth() || (now.getUTCMonth() === b.getUTCMonth() && now.getUTCDate() < b.getUTCDate())) years--;
  return `${years} y`;
}

export function PatientChart({ id, features }: { id: string; features: Features }) {
  const patient = useLoad(() => fhir(`Patient/${encodeURIComponent(id)}`), [id]);
  useEffect(() => {
    if (patient.data) sessionStorage.setItem(LAST_PATIENT, id);
  }, [patient.data]);
  if (patient.loading && !patient.data) return <Loading what="the patient" />;
  if (patient.error)
    return (
      <>
        <h1 tabIndex={-1}>Patient</h1>
        <ErrorBox error={patient.error} />
        <a href="#/patients">Back to the search</a>
      </>
    );
  const p = patient.data;
  const address = p.address?.[0];
  const mrn = p.identifier?.find((i: any) => i.type?.coding?.some((c: any) => c.code === 'MR')) ?? p.identifier?.[0];
  return (
    <>
      <div class="banner card">
        <h1 tabIndex={-1}>{humanName(p)}</h1>
        <dl>
          <div>
            <dt>Gender</dt>
            <dd>{p.gender ?? '–'}</dd>
          </div>
          <div>
            <dt>Born</dt>
            <dd>
              {p.birthDate ?? '–'} {p.birthDate && `(${age(p.birthDate)})`}
              {p.deceasedDateTime ? ` · died ${p.deceasedDateTime.slice(0, 10)}` : ''}
            </dd>
          </div>
          <div>
            <dt>MRN</dt>
            <dd>{mrn?.value ?? '–'}</dd>
          </div>
          <div>
            <dt>Address</dt>
            <dd>{address ? [address.line?.join(' '), address.city, address.state].filter(Boolean).join(', ') : '–'}</dd>
          </div>
          <div>
            <dt>Phone</dt>
            <dd>{p.telecom?.find((t: any) => t.system === 'phone')?.value ?? '–'}</dd>
          </div>
        </dl>
        <p class="actions">
          <a href="#/scheduling">Book an appointment for this patient</a>
        </p>
      </div>
      {features.cdsHooks && <RiskCards patientId={id} />}
      <Vitals patientId={id} />
      <Timeline patientId={id} />
    </>
  );
}
