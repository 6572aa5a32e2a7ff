// The smallest store $train accepts, for the operation's registered example: 100 patients with
// four past Appointments each, a fifth of them missed. Deterministic, so the example always runs.
import type { Resource } from '@medplum/fhirtypes';

export function trainExampleSetup(): Resource[] {
  const out: Resource[] = [];
  for (let i = 0; i < 100; i++) {
    const patient = `train-example-${i}`;
    out.push({ resourceType: 'Patient', id: patient, birthDate: `${1940 + (i % 60)}-0${1 + (i % 9)}-15` });
    for (let j = 0; j < 4; j++) {
      const start = Date.UTC(2024, j * 3, 1 + (i % 27), 9 + (i % 7));
      const lead = (i * 13 + j * 7) % 60;
      out.push({
        resourceType: 'Appointment',
        id: `${patient}-${j}`,
        status: (i * 7 + j * 3) % 5 === 0 ? 'noshow' : 'fulfilled',
        start: new Date(start).toISOString(),
        end: new Date(start + 1_800_000).toISOString(),
        created: new Date(start - lead * 86_400_000).toISOString(),
        participant: [{ actor: { reference: `Patient/${patient}` }, status: 'accepted' }],
      });
    }
  }
  return out;
}
