// The timeline: encounters, conditions, procedures and medication requests in date order, newest
// first, filterable by kind.
import { useState } from 'preact/hooks';
import { fhir, resources } from '../fhir';
import { ErrorBox, Loading, Section, display, useLoad } from '../ui';

type Kind = 'Encounter' | 'Condition' | 'Procedure' | 'MedicationRequest';
const KINDS: Array<{ kind: Kind; label: string }> = [
  { kind: 'Encounter', label: 'Encounters' },
  { kind: 'Condition', label: 'Conditions' },
  { kind: 'Procedure', label: 'Procedures' },
  { kind: 'MedicationRequest', label: 'Medications' },
];

interface Event {
  kind: Kind;
  id: string;
  date: string;
  title: string;
  detail: string;
}

function eventOf(kind: Kind, r: any): Event {
  switch (kind) {
    case 'Encounter':
      return { kind, id: r.id, date: r.period?.start ?? '', title: display(r.type?.[0]) !== '–' ? display(r.type?.[0]) : (r.class?.display ?? r.class?.code ?? 'Encounter'), detail: [r.class?.display ?? r.class?.code, r.status, display(r.reasonCode?.[0]) !== '–' ? display(r.reasonCode?.[0]) : ''].filter(Boolean).join(' · ') };
    case 'Condition':
      return { kind, id: r.id, date: r.onsetDateTime ?? r.recordedDate ?? '', title: display(r.code), detail: [r.clinicalStatus?.coding?.[0]?.code, r.abatementDateTime ? `resolved ${r.abatementDateTime.slice(0, 10)}` : ''].filter(Boolean).join(' · ') };
    case 'Procedure':
      return { kind, id: r.id, date: r.performedDateTime ?? r.performedPeriod?.start ?? '', title: display(r.code), detail: r.status ?? '' };
    case 'MedicationRequest':
      return { kind, id: r.id, date: r.authoredOn ?? '', title: display(r.medicationCodeableConcept) !== '–' ? display(r.medicationCodeableConcept) : (r.medicationReference?.display ?? 'Medication'), detail: [r.status, r.dosageInstruction?.[0]?.text].filter(Boolean).join(' · ') };
  }
}

async function loadEvents(patientId: string): Promise<Event[]> {
  const p = encodeURIComponent(patientId);
  const bundles = await Promise.all(KINDS.map(({ kind }) => fhir(`${kind}?patient=${p}&_count=200`)));
  return bundles
    .flatMap((b, i) => resources(b).map((r) => eventOf(KINDS[i].kind, r)))
    .sort((a, b) => b.date.localeCompare(a.date));
}

const PAGE = 40;

export function Timeline({ patientId }: { patientId: string }) {
  const events = useLoad(() => loadEvents(patientId), [patientId]);
  const [shown, setShown] = useState<Set<Kind>>(new Set(KINDS.map((k) => k.kind)));
  const [limit, setLimit] = useState(PAGE);
  const list = (events.data ?? []).filter((e) => shown.has(e.kind));
  return (
    <Section title="Timeline" id="timeline-h">
      <fieldset class="filters">
        <legend>Show</legend>
        {KINDS.map(({ kind, label }) => (
          <label key={kind} class="check">
            <input
              type="checkbox"
              checked={shown.has(kind)}
              onChange={(e) => {
                const next = new Set(shown);
                if (e.currentTarget.checked) next.add(kind);
                else next.delete(kind);
                setShown(next);
              }}
            />{' '}
            {label} ({(events.data ?? []).filter((x) => x.kind === kind).length})
          </label>
        ))}
      </fieldset>
      {events.loading && !events.data && <Loading what="the record" />}
      <ErrorBox error={events.error} />
      <ol class="timeline">
        {list.slice(0, limit).map((e) => (
          <li key={`${e.kind}/${e.id}`} class={`kind-${e.kind}`}>
            <time dateTime={e.date}>{e.date.slice(0, 10) || '–'}</time>
            <span class="badge">{KINDS.find((k) => k.kind === e.kind)!.label.replace(/s$/, '')}</span>
            <span class="title">{e.title}</span>
            {e.detail && <span class="muted"> · {e.detail}</span>}
          </li>
        ))}
      </ol>
      {list.length > limit && (
        <button type="button" onClick={() => setLimit(limit + PAGE)}>
          Show more ({list.length - limit} left)
        </button>
      )}
    </Section>
  );
}
