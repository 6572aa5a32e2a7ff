// Risk cards from the server's CDS Hooks services (patient-view hook). Only mounted when the
// server has /cds-services (features.json says so).
import { fhir, serverRoot } from '../fhir';
import { ErrorBox, Loading, Section, useLoad } from '../ui';

/** A v4 UUID; crypto.randomUUID exists only in secure contexts (https or loopback). */
function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface Card {
  summary: string;
  indicator?: 'info' | 'warning' | 'critical';
  detail?: string;
  source?: { label?: string };
}

async function loadCards(patientId: string): Promise<Card[]> {
  const discovery = await fhir<{ services?: Array<{ id: string; hook: string }> }>(`${serverRoot()}/cds-services`, { headers: { Accept: 'application/json' } });
  const services = (discovery.services ?? []).filter((s) => s.hook === 'patient-view');
  const answers = await Promise.all(
    services.map((s) =>
      fhir<{ cards?: Card[] }>(`${serverRoot()}/cds-services/${encodeURIComponent(s.id)}`, {
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        // No fhirServer: the service then reads from this server with the console's own token
        // (CDS Hooks lets the server fall back to itself), so no token is handed around.
        body: { hook: 'patient-view', hookInstance: uuid(), context: { userId: 'Practitioner/console', patientId } },
      }),
    ),
  );
  return answers.flatMap((a) => a.cards ?? []);
}

export function RiskCards({ patientId }: { patientId: string }) {
  const cards = useLoad(() => loadCards(patientId), [patientId]);
  return (
    <Section title="Risks and reminders" id="risk-h">
      {cards.loading && !cards.data && <Loading what="risk cards" />}
      <ErrorBox error={cards.error} />
      {cards.data && cards.data.length === 0 && <p class="muted">No cards for this patient.</p>}
      <ul class="cards">
        {cards.data?.map((c, i) => (
          <li key={i} class={`risk ${c.indicator ?? 'info'}`}>
            <strong>{c.summary}</strong>
            {c.detail && <p>{c.detail}</p>}
            <span class="muted">
              {c.indicator ?? 'info'}
              {c.source?.label ? ` · ${c.source.label}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </Section>
  );
}
