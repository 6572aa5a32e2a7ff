// Vital signs and labs over time, drawn from the patient's Observations (LOINC codes), with the
// units and reference ranges the Observations carry.
import { TimeChart, type Series } from '../chart';
import { fhir, resources } from '../fhir';
import { ErrorBox, Loading, Section, useLoad } from '../ui';

const LOINC = 'http://loinc.org';

interface Panel {
  title: string;
  code: string;
  /** Component codes drawn as separate series (blood pressure); the value itself otherwise. */
  components?: Array<{ code: string; label: string; color: string }>;
  color?: string;
  note?: string;
}

const PANELS: Panel[] = [
  {
    title: 'Blood pressure',
    code: '85354-9',
    components: [
      { code: '8480-6', label: 'Systolic', color: '#b3261e' },
      { code: '8462-4', label: 'Diastolic', color: '#1d4f91' },
    ],
    // Vital signs carry no referenceRange; the usual treatment target instead of a band.
    note: 'treatment target below 130/80',
  },
  { title: 'HbA1c', code: '4548-4', color: '#6a1b9a' },
  { title: 'Body weight', code: '29463-7', color: '#00695c' },
  { title: 'LDL cholesterol', code: '18262-6', color: '#8d5a00' },
];

interface Drawn {
  panel: Panel;
  series: Series[];
  unit: string;
  range?: { low?: number; high?: number };
}

const seconds = (o: any) => Math.floor(Date.parse(o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued) / 1000);

async function loadPanels(patientId: string): Promise<Drawn[]> {
  const codes = PANELS.map((p) => `${LOINC}|${p.code}`).join(',');
  const bundle = await fhir(`Observation?patient=${encodeURIComponent(patientId)}&code=${encodeURIComponent(codes)}&_sort=date&_count=1000`);
  const all = resources(bundle);
  return PANELS.map((panel) => {
    const obs = all.filter((o: any) => o.code?.coding?.some((c: any) => c.system === LOINC && c.code === panel.code) && !Number.isNaN(seconds(o)));
    let unit = '';
    let series: Series[];
    if (panel.components) {
      series = panel.components.map((c) => ({
        label: c.label,
        color: c.color,
        points: obs.flatMap((o: any) => {
          const q = o.component?.find((x: any) => x.code?.coding?.some((k: any) => k.code === c.code))?.valueQuantity;
          if (typeof q?.value !== 'number') return [];
          unit ||= q.unit ?? q.code ?? '';
          return [[seconds(o), q.value] as [number, number]];
        }),
      }));
    } else {
      series = [
        {
          label: panel.title,
          color: panel.color ?? '#333',
          points: obs.flatMap((o: any) => {
            if (typeof o.valueQuantity?.value !== 'number') return [];
            unit ||= o.valueQuantity.unit ?? o.valueQuantity.code ?? '';
            return [[seconds(o), o.valueQuantity.value] as [number, number]];
          }),
        },
      ];
    }
    const rr = obs.find((o: any) => o.referenceRange?.[0])?.referenceRange?.[0];
    const range = rr ? { low: rr.low?.value, high: rr.high?.value } : undefined;
    return { panel, series, unit, range };
  });
}

export function Vitals({ patientId }: { patientId: string }) {
  const panels = useLoad(() => loadPanels(patientId), [patientId]);
  // One time axis for all the charts, a month of room on each side (and a single value centred).
  const xs = (panels.data ?? []).flatMap((d) => d.series.flatMap((s) => s.points.map((p) => p[0])));
  const month = 30 * 86400;
  const xRange: [number, number] | undefined = xs.length ? [Math.min(...xs) - month, Math.max(...xs) + month] : undefined;
  return (
    <Section title="Vital signs and labs" id="vitals-h">
      {panels.loading && !panels.data && <Loading what="observations" />}
      <ErrorBox error={panels.error} />
      <div class="charts">
        {panels.data?.map((d) => (
          <TimeChart key={d.panel.code} title={d.panel.title} unit={d.unit || '–'} series={d.series} range={d.range} note={d.panel.note} xRange={xRange} />
        ))}
      </div>
    </Section>
  );
}
