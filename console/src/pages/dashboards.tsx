// Dashboards over a period: every stored Measure through $evaluate-measure (over the whole period
// and month by month), each group with its stratifiers (bars per stratum, months over time, and
// the trend split by one stratifier), and population statistics of key labs and vitals through
// Observation/$population-stats (overall and per gender × age band). Every figure is computed by
// the server's operations; the console only draws them.
import { useState } from 'preact/hooks';
import { TimeChart, type Series } from '../chart';
import { fhir, parameters, resources } from '../fhir';
import { ErrorBox, Loading, Section, useLoad } from '../ui';
import { groupsOf, labelStrata, stratumScore, type GroupFigures, type StratifierFigures } from './measure-report';
import { formatScore, StrataBars } from './strata';

interface Period {
  from: string; // YYYY-MM
  to: string; // YYYY-MM
}

const monthOf = (d: Date) => d.toISOString().slice(0, 7);

function defaultPeriod(): Period {
  const now = new Date();
  const from = new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth() + 1, 1));
  return { from: monthOf(from), to: monthOf(now) };
}

function months(p: Period): string[] {
  const out: string[] = [];
  let [y, m] = p.from.split('-').map(Number);
  const [ty, tm] = p.to.split('-').map(Number);
  while (y < ty || (y === ty && m <= tm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

/** The month eleven months before `month`: with it, a 12-month window ending with `month`. */
const yearBefore = (month: string) => {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m - 12, 1)).toISOString().slice(0, 7);
};

const lastDay = (month: string) => {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
};

export function Dashboards() {
  const [period, setPeriod] = useState<Period>(defaultPeriod);
  const [draft, setDraft] = useState<Period>(period);
  const invalid = !draft.from || !draft.to || draft.from > draft.to ? 'The start month must be on or before the end month.' : months(draft).length > 36 ? 'Choose at most 36 months.' : '';
  return (
    <>
      <h1 tabIndex={-1}>Dashboards</h1>
      <form
        class="card search"
        aria-label="Period"
        onSubmit={(e) => {
          e.preventDefault();
          if (!invalid) setPeriod(draft);
        }}
      >
        <label>
          From
          <input type="month" name="from" value={draft.from} onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })} />
        </label>
        <label>
          To
          <input type="month" name="to" value={draft.to} onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })} />
        </label>
        <button type="submit" class="primary" disabled={!!invalid}>
          Show
        </button>
        {[12, 24, 36].map((n) => (
          <button
            type="button"
            key={n}
            onClick={() => {
              const now = new Date();
              const p = { from: monthOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n + 1, 1))), to: monthOf(now) };
              setDraft(p);
              setPeriod(p);
            }}
          >
            Last {n} months
          </button>
        ))}
        {invalid && (
          <p class="error" role="alert">
            {invalid}
          </p>
        )}
      </form>
      <p class="muted">
        {period.from} to {period.to}: every figure below is computed by the server ($evaluate-measure, $population-stats).
      </p>
      <Measures period={period} />
      <PopulationStats period={period} />
    </>
  );
}

interface TrendFigures {
  /** The stratifier drawn as one line per stratum next to the overall score, if any. */
  by?: string;
  series: Series[];
}

interface MeasureFigures {
  id: string;
  title: string;
  /** Proportion and ratio measures score a fraction (shown as %); continuous-variable measures a
   * quantity in the report's unit (e.g. a median lead time in days). */
  percent: boolean;
  unit: string;
  groups: GroupFigures[];
  trends: TrendFigures[];
}

async function evaluate(id: string, start: string, end: string): Promise<any> {
  return fhir(`Measure/${encodeURIComponent(id)}/$evaluate-measure?periodStart=${start}&periodEnd=${end}`);
}

// Lines differ by colour and dash (readable in grey too); the overall score is the solid one.
const OVERALL_COLOR = '#1d4f91';
const STRATUM_STYLES: Array<{ color: string; dash: number[] }> = [
  { color: '#b35806', dash: [6, 3] },
  { color: '#1b7837', dash: [2, 3] },
  { color: '#762a83', dash: [10, 4, 2, 4] },
  { color: '#a50f4b', dash: [12, 4] },
  { color: '#4d4d4d', dash: [2, 6] },
  { color: '#8c510a', dash: [8, 2, 2, 2] },
];

/** The stratifier of a group drawn as trend lines: the first not by month with 2 to 6 strata
 * that have a score (more lines than that are unreadable; its bars show them all). */
function trendStratifier(g: GroupFigures): StratifierFigures | undefined {
  return g.stratifiers.find((s) => {
    const scored = s.strata.filter((st) => st.score !== undefined).length;
    return !s.byMonth && scored >= 2 && scored <= STRATUM_STYLES.length;
  });
}

async function loadMeasures(period: Period): Promise<MeasureFigures[]> {
  const measures = resources(await fhir('Measure?status=active&_count=20'));
  const list = months(period);
  return Promise.all(
    measures.map(async (m: any) => {
      const whole = await evaluate(m.id, `${period.from}-01`, lastDay(period.to));
      const groups = groupsOf(whole);
      await labelStrata(m, groups);
      const percent = m.scoring?.coding?.[0]?.code !== 'continuous-variable';
      const scale = percent ? 100 : 1;
      const trends: TrendFigures[] = groups.map((g) => {
        const by = trendStratifier(g);
        const strata = by?.strata.filter((st) => st.score !== undefined) ?? [];
        return {
          by: by?.id,
          series: [
            { label: by ? 'All' : 'Score', color: OVERALL_COLOR, points: [] },
            ...strata.map((st, i) => ({ label: st.label, ...STRATUM_STYLES[i], points: [] as Array<[number, number]>, key: st.key })),
          ],
        };
      });
      // The trend: for each month, the score over the 12 months ending with it (quality measures
      // such as CMS122 are annual: one month alone would count most patients as untested), overall
      // and per stratum from the same reports. A few at a time, each one server evaluation.
      for (let i = 0; i < list.length; i += 4) {
        const reports = await Promise.all(list.slice(i, i + 4).map((month) => evaluate(m.id, `${yearBefore(month)}-01`, lastDay(month))));
        reports.forEach((r, j) => {
          trends.forEach((t, gi) => {
            t.series.forEach((s: any, si) => {
              const score = si === 0 ? r.group?.[gi]?.measureScore?.value : stratumScore(r, gi, t.by!, s.key);
              if (typeof score === 'number') s.points.push([i + j, score * scale]);
            });
          });
        });
      }
      const first = whole.group?.[0]?.measureScore;
      const unit = percent ? '%' : (first?.unit ?? first?.code ?? '');
      return { id: m.id, title: m.title ?? m.name ?? m.id, percent, unit, groups, trends };
    }),
  );
}

function Measures({ period }: { period: Period }) {
  const figures = useLoad(() => loadMeasures(period), [period.from, period.to]);
  const list = months(period);
  return (
    <Section title="Quality measures" id="measures-h">
      {figures.loading && <Loading what="measure reports" />}
      <ErrorBox error={figures.error} />
      {figures.data?.length === 0 && <p class="muted">No active Measure is stored. `npm start -- --demo` loads the shipped one; `nimbus-fhir import fhir-profiles/measures` does too.</p>}
      {figures.data?.map((m) => (
        <div key={m.id} class="measure" data-measure={m.id}>
          <h3>{m.title}</h3>
          {m.groups.map((g, gi) => (
            <MeasureGroup key={g.id} measure={m} group={g} trend={m.trends[gi]} months={list} named={m.groups.length > 1} />
          ))}
        </div>
      ))}
    </Section>
  );
}

function MeasureGroup({ measure: m, group: g, trend, months: list, named }: { measure: MeasureFigures; group: GroupFigures; trend: TrendFigures; months: string[]; named: boolean }) {
  const title = named ? `${m.title} (${g.id})` : m.title;
  const casesOf = m.percent ? 'denominator' : 'measure-observation' in g.counts ? 'measure-observation' : 'initial-population';
  const by = g.stratifiers.find((s) => s.id === trend.by);
  return (
    <div class="measure-group" data-group={g.id}>
      {named && <h4>{g.id}</h4>}
      <dl class="figures">
        {Object.entries(g.counts).map(([code, n]) => (
          <div key={code}>
            <dt>{code.replace(/-/g, ' ')}</dt>
            <dd>{n}</dd>
          </div>
        ))}
        <div>
          <dt>score</dt>
          <dd>{formatScore(g.score, m.percent, m.unit)}</dd>
        </div>
      </dl>
      <div class="charts">
        <TimeChart
          title={`${title}: score over the 12 months up to each month${by ? `, by ${by.title}` : ''}`}
          unit={m.unit}
          yMax={m.percent ? 100 : undefined}
          categories={list}
          lines={trend.series.length > 1}
          series={trend.series}
          xTitle="Month"
        />
        {g.stratifiers.map((s) =>
          s.byMonth ? (
            <TimeChart
              key={s.id}
              title={`${title}: by ${s.title}`}
              unit={m.unit}
              yMax={m.percent ? 100 : undefined}
              categories={list}
              series={[{ label: 'Score', color: '#4f6d8f', points: s.strata.flatMap((st) => (st.score === undefined || !list.includes(st.key) ? [] : [[list.indexOf(st.key), st.score * (m.percent ? 100 : 1)] as [number, number]])) }]}
              xTitle="Month"
            />
          ) : (
            <StrataBars key={s.id} title={`${title}: by ${s.title}`} stratifier={s} percent={m.percent} unit={m.unit} casesOf={casesOf} />
          ),
        )}
      </div>
    </div>
  );
}

const LABS = [
  { code: '4548-4', title: 'HbA1c' },
  { code: '29463-7', title: 'Body weight' },
  { code: '39156-5', title: 'Body mass index' },
  { code: '18262-6', title: 'LDL cholesterol' },
];
const BANDS = ['0-17', '18-39', '40-64', '65+'];
const STATS = ['count', 'average', 'median', 'minimum', 'maximum'];

interface LabFigures {
  title: string;
  unit: string;
  overall: Record<string, number | undefined>;
  byBand: Record<'female' | 'male', Array<[number, number]>>;
}

function statsOf(obs: any): { unit: string; values: Record<string, number | undefined> } {
  const values: Record<string, number | undefined> = {};
  let unit = '';
  for (const c of obs?.component ?? []) {
    const code = c.code?.coding?.[0]?.code;
    values[code] = c.valueInteger ?? c.valueDecimal ?? c.valueQuantity?.value;
    unit ||= c.valueQuantity?.unit ?? '';
  }
  return { unit, values };
}

async function loadLabs(period: Period): Promise<LabFigures[]> {
  return Promise.all(
    LABS.map(async (lab) => {
      const body = parameters([
        { name: 'system', valueUri: 'http://loinc.org' },
        { name: 'code', valueString: lab.code },
        ...STATS.map((s) => ({ name: 'statistic', valueCode: s })),
        { name: 'period', valuePeriod: { start: `${period.from}-01`, end: lastDay(period.to) } },
      ]);
      const out = await fhir('Observation/$population-stats', { body });
      const overall = statsOf(out.parameter?.find((p: any) => p.name === 'statistics')?.resource);
      const byBand: LabFigures['byBand'] = { female: [], male: [] };
      for (const s of out.parameter?.filter((p: any) => p.name === 'stratum') ?? []) {
        const gender = s.part?.find((p: any) => p.name === 'gender')?.valueCode;
        const band = BANDS.indexOf(s.part?.find((p: any) => p.name === 'ageBand')?.valueString);
        const mean = statsOf(s.part?.find((p: any) => p.name === 'statistics')?.resource).values.average;
        if ((gender === 'female' || gender === 'male') && band >= 0 && mean !== undefined) byBand[gender as 'female' | 'male'].push([band, mean]);
      }
      return { title: lab.title, unit: overall.unit, overall: overall.values, byBand };
    }),
  );
}

function PopulationStats({ period }: { period: Period }) {
  const labs = useLoad(() => loadLabs(period), [period.from, period.to]);
  return (
    <Section title="Population statistics" id="stats-h">
      {labs.loading && <Loading what="statistics" />}
      <ErrorBox error={labs.error} />
      <div class="charts">
        {labs.data?.map((l) => (
          <div key={l.title}>
            <dl class="figures">
              {STATS.map((s) => (
                <div key={s}>
                  <dt>{s}</dt>
                  <dd>{l.overall[s] === undefined ? '–' : `${Number(l.overall[s]!.toFixed(2))}${s === 'count' ? '' : ` ${l.unit}`}`}</dd>
                </div>
              ))}
            </dl>
            <TimeChart
              title={`${l.title}: mean by age band`}
              unit={l.unit || '–'}
              categories={BANDS}
              series={[
                { label: 'Female', color: '#8e2c5c', points: l.byBand.female },
                { label: 'Male', color: '#1d5f8a', points: l.byBand.male },
              ]}
              xTitle="Age band"
            />
          </div>
        ))}
      </div>
    </Section>
  );
}
