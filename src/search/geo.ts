// Great-circle geometry for the `near` search parameter (R4 Location `near`): parsing
// `lat|long|distance|unit`, the bounding box an index can answer, and the exact haversine
// distance both engines apply after the box. Pure, so the engines and the tests share one formula.
import { lookupTable } from '../lookup-table';

/** Mean Earth radius (IUGG), km. Both engines and the tests use this one value. */
export const EARTH_RADIUS_KM = 6371.0088;
/** Distance when the client gives none (R4 leaves it to the server). */
export const DEFAULT_NEAR_KM = 50;

/** Kilometres per unit of the `near` distance (UCUM codes and their plain spellings). */
const UNIT_KM: Record<string, number> = lookupTable({
  km: 1,
  m: 0.001,
  mi: 1.609344,
  '[mi_i]': 1.609344,
  '[mi_us]': 1.6093472186944373,
  '[nmi_i]': 1.852,
});

export interface GeoPoint {
  lat: number;
  lon: number;
}

/** Latitude range plus one or two longitude ranges (two when the box crosses ±180°). */
export interface GeoBox {
  minLat: number;
  maxLat: number;
  lon: Array<[number, number]>;
}

export interface NearQuery extends GeoPoint {
  distanceKm: number;
  box: GeoBox;
}

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Haversine distance in km. Written exactly like the SQL in storage/sqlite/search/near.ts. */
export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = rad(b.lat) - rad(a.lat);
  const dLon = rad(b.lon) - rad(a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, h)));
}

/**
 * The smallest latitude/longitude box holding every point within `km` of `center` (the
 * "bounding coordinates" method): latitude ± angular distance; longitude ± asin(sin d / cos lat),
 * or all longitudes when the circle reaches a pole.
 */
export function boundingBox(center: GeoPoint, km: number): GeoBox {
  const d = km / EARTH_RADIUS_KM; // angular distance, radians
  const deg = (r: number) => (r * 180) / Math.PI;
  const minLat = center.lat - deg(d);
  const maxLat = center.lat + deg(d);
  if (minLat <= -90 || maxLat >= 90 || d >= Math.PI / 2) {
    return { minLat: Math.max(-90, minLat), maxLat: Math.min(90, maxLat), lon: [[-180, 180]] };
  }
  const dLon = deg(Math.asin(Math.min(1, Math.sin(d) / Math.cos(rad(center.lat)))));
  const lo = center.lon - dLon;
  const hi = center.lon + dLon;
  if (lo < -180) return { minLat, maxLat, lon: [[lo + 360, 180], [-180, hi]] };
  if (hi > 180) return { minLat, maxLat, lon: [[lo, 180], [-180, hi - 360]] };
  return { minLat, maxLat, lon: [[lo, hi]] };
}

/** A valid WGS84 position, or undefined (index values and queries both go through this). */
export function geoPoint(lat: unknown, lon: unknown): GeoPoint | undefined {
  if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) return undefined;
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return undefined;
  return { lat, lon };
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** `lat|long[|distance[|unit]]` → the query, or a message saying what is wrong. */
export function parseNear(value: string): NearQuery | string {
  const parts = value.split('|');
  if (parts.length < 2 || parts.length > 4) return 'expected latitude|longitude[|distance[|unit]], e.g. 52.37|4.89|10|km';
  const [latText, lonText, distanceText = '', unitText = ''] = parts;
  if (!DECIMAL.test(latText) || !DECIMAL.test(lonText)) return 'latitude and longitude must be decimal degrees';
  const point = geoPoint(Number(latText), Number(lonText));
  if (!point) return 'latitude must lie in [-90, 90] and longitude in [-180, 180]';
  let distanceKm = DEFAULT_NEAR_KM;
  if (distanceText !== '') {
    if (!DECIMAL.test(distanceText) || Number(distanceText) < 0) return 'distance must be a number ≥ 0';
    const unit = unitText === '' ? 'km' : unitText;
    const factor = UNIT_KM[unit];
    if (factor === undefined) return `unknown distance unit '${unit}'; use one of ${Object.keys(UNIT_KM).join(', ')}`;
    distanceKm = Number(distanceText) * factor;
  } else if (unitText !== '') return 'a unit needs a distance';
  // Beyond half the circumference every point is near: cap so the box maths stays defined.
  distanceKm = Math.min(distanceKm, Math.PI * EARTH_RADIUS_KM);
  return { ...point, distanceKm, box: boundingBox(point, distanceKm) };
}
