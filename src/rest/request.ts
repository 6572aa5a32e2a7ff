// Small readers of FHIR-specific request details shared by the route modules: the base URL, the
// Prefer header, and typed path parameters.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';

export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

export interface Prefer {
  return: ReturnPreference;
  /** `handling=lenient`: ignore unknown search parameters instead of refusing them. */
  lenient: boolean;
  respondAsync: boolean;
}

export function parsePrefer(req: Pick<IncomingMessage, 'headers'>): Prefer {
  const raw = req.headers.prefer;
  const header = Array.isArray(raw) ? raw.join(',') : raw;
  const out: Prefer = { return: 'representation', lenient: false, respondAsync: false };
  if (!header) return out;
  for (const part of header.split(/[,;]/)) {
    const [k, v] = part.split('=').map((s: string) => s.trim().replace(/^"|"$/g, ''));
    if (k === 'return' && (v === 'minimal' || v === 'representation' || v === 'OperationOutcome')) out.return = v;
    else if (k === 'handling' && v === 'lenient') out.lenient = true;
    else if (k === 'respond-async') out.respondAsync = true;
  }
  return out;
}

export function param(req: Request, name: string): string {
  const v = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v.join('/') : (v ?? '');
}

/** The FHIR base URL as the client sees it: configured, or from the Host header (one rule for the
 * read fast path and the Express routes). */
export function baseUrlOf(req: IncomingMessage, configured: string): string {
  if (configured) return configured;
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const host = req.headers.host;
  return `${scheme}://${host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : 'localhost'}/fhir`;
}
