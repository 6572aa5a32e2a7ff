// One stratifier of a measure as horizontal bars: a row per stratum with its name, a bar as long
// as its score and the score and case count written out. Plain HTML (a table), so long names wrap
// at 320 px, every value is text a screen reader or keyboard user reaches without hovering, and
// the bars scale with the page. Strata by month are drawn over time with the other charts instead.
import type { StratifierFigures, StratumFigures } from './measure-report';

export interface StrataBarsProps {
  title: string;
  stratifier: StratifierFigures;
  /** Proportions are shown in % of 100; quantities against the largest stratum. */
  percent: boolean;
  unit: string;
  /** The population whose size is shown as the stratum's number of cases. */
  casesOf: string;
}

export function formatScore(score: number | undefined, percent: boolean, unit: string): string {
  if (score === undefined) return '–';
  return percent ? `${(score * 100).toFixed(1)} %` : `${Number(score.toFixed(1))} ${unit}`;
}

/** Strata listed before the rest are folded away (e.g. the 12 busiest of 60 schedules). */
const SHOWN = 12;

export function StrataBars({ title, stratifier, percent, unit, casesOf }: StrataBarsProps) {
  const scale = percent ? 1 : Math.max(0, ...stratifier.strata.map((s) => s.score ?? 0)) || 1;
  const drawn = stratifier.strata.filter((s) => s.score !== undefined).length;
  const cases = (s: StratumFigures) => s.counts[casesOf] ?? 0;
  // Few strata keep the server's order (age bands in order); many are listed busiest first.
  const ordered = stratifier.strata.length > SHOWN ? [...stratifier.strata].sort((a, b) => cases(b) - cases(a)) : stratifier.strata;
  const head = (
    <thead>
      <tr>
        <th scope="col">{stratifier.title.charAt(0).toUpperCase() + stratifier.title.slice(1)}</th>
        <th scope="col">Score</th>
        <th scope="col" class="num">
          Cases
        </th>
      </tr>
    </thead>
  );
  const rows = (list: StratumFigures[]) => (
    <tbody>
      {list.map((s) => (
        <tr key={s.key} data-stratum={s.key}>
          <th scope="row" title={s.key}>
            {s.label}
          </th>
          <td class="bar-cell">
            <div>
              <span class="track" aria-hidden="true">
                {s.score !== undefined && <span class="bar" style={{ width: `${Math.min(100, Math.max(0, (s.score / scale) * 100))}%` }} />}
              </span>
              <span class="value">{s.score === undefined ? 'no cases' : formatScore(s.score, percent, unit)}</span>
            </div>
          </td>
          <td class="num">{cases(s)}</td>
        </tr>
      ))}
    </tbody>
  );
  return (
    <figure class="strata" data-stratifier={stratifier.id} data-strata={drawn}>
      <figcaption>
        <strong>{title}</strong> <span class="muted">({percent ? '%' : unit}; cases: {casesOf.replace(/-/g, ' ')}{ordered.length > SHOWN ? `; the ${SHOWN} with most cases of ${ordered.length}` : ''})</span>
      </figcaption>
      {ordered.length === 0 ? (
        <p class="muted">No strata: the population is empty over this period.</p>
      ) : (
        <table>
          {head}
          {rows(ordered.slice(0, SHOWN))}
        </table>
      )}
      {ordered.length > SHOWN && (
        <details>
          <summary>The other {ordered.length - SHOWN}</summary>
          <table>
            {head}
            {rows(ordered.slice(SHOWN))}
          </table>
        </details>
      )}
    </figure>
  );
}
