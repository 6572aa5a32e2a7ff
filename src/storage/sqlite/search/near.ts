// `near` on SQLite: the R*Tree `idx_position` (migration 5) answers the bounding box, then the
// exact great-circle distance is checked on each candidate in SQL (SQLite's math functions), so
// the count, the page and keyset paging all see exactly the same matches. The distance doubles as
// the `_sort=near` key. Formula: search/geo.ts haversineKm, written the same way.
import { EARTH_RADIUS_KM } from '../../../search/geo';
import type { NearPredicate } from '../../../search/plan';
import { RID_SHIFT } from './schema';

type Bind = (value: unknown) => string;

/** Great-circle distance (km) from the point to the row's exact `lat`/`lon` columns. */
export function distanceSql(center: { lat: number; lon: number }, bind: Bind, col: (f: string) => string = (f) => f): string {
  const lat = col('lat');
  const lon = col('lon');
  // Parameters are bound in text order (the Builder numbers `?` as they are bound).
  const r = bind(EARTH_RADIUS_KM);
  const dLat = `radians(${lat}) - radians(${bind(center.lat)})`;
  const cosC = `cos(radians(${bind(center.lat)}))`;
  const dLon = `radians(${lon}) - radians(${bind(center.lon)})`;
  const h = `pow(sin((${dLat}) / 2), 2) + ${cosC} * cos(radians(${lat})) * pow(sin((${dLon}) / 2), 2)`;
  return `(2 * ${r} * asin(sqrt(min(1.0, ${h}))))`;
}

/**
 * Row condition on `idx_position`: inside the box (R*Tree constraints on the 32-bit box columns,
 * which SQLite rounds outwards, so the box never loses a point), then within the distance on the
 * exact columns.
 */
export function nearCondition(p: NearPredicate, bind: Bind, col: (f: string) => string = (f) => f): string {
  const conds = [`${col('lat_lo')} <= ${bind(p.box.maxLat)}`, `${col('lat_hi')} >= ${bind(p.box.minLat)}`];
  const lon = p.box.lon.map(([lo, hi]) => `(${col('lon_lo')} <= ${bind(hi)} AND ${col('lon_hi')} >= ${bind(lo)})`);
  conds.push(lon.length === 1 ? lon[0] : `(${lon.join(' OR ')})`);
  conds.push(`${distanceSql(p, bind, col)} <= ${bind(p.distanceKm)}`);
  return conds.join(' AND ');
}

/** The `_sort=near` key of resource row `res`: its distance from the point (NULL without a position). */
export function nearSortExpression(center: { lat: number; lon: number }, pids: () => string, bind: Bind, res = 'r'): string {
  // A resource has at most one position row, keyed `rid << RID_SHIFT` (an R*Tree id lookup).
  // `pids` binds its parameters, so it is called where its text goes (bind order = text order).
  const distance = distanceSql(center, bind);
  return `(SELECT ${distance} FROM idx_position WHERE k = ${res}.rid << ${RID_SHIFT} AND p IN ${pids()})`;
}
