// Small readers of FHIR-specific request details shared by the route modules: the base URL, the
// Prefer header, and typed path parameters.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import { isLoopback, type Config } from '../config';

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

/** The FHIR base URL as the client sees it (one rule for the read fast path and the Express
 * routes). Absolute URLs in links and Location must not come from whatever a client writes in its
 * headers: the configured NIMBUS_BASE_URL wins; X-Forwarded-Host/-Proto count only behind a proxy
 * declared trusted (NIMBUS_TRUST_PROXY); a Host header only when it names this machine's loopback
 * or the address the connection arrived on. Otherwise the URL is built from that address. */
export function baseUrlOf(req: IncomingMessage, config: Pick<Config, 'baseUrl' | 'trustProxy'>): string {
  if (config.baseUrl) return config.baseUrl;
  const socket = req.socket as TLSSocket;
  let scheme = socket.encrypted ? 'https' : 'http';
  if (config.trustProxy) {
    const proto = firstValue(req.headers['x-forwarded-proto'])?.toLowerCase();
    if (proto === 'http' || proto === 'https') scheme = proto;
    const forwarded = firstValue(req.headers['x-forwarded-host']) ?? firstValue(req.headers.host);
    if (forwarded && HOST.test(forwarded)) return `${scheme}://${forwarded}/fhir`;
  }
  const host = firstValue(req.headers.host);
  if (host && HOST.test(host) && (isLoopback(hostname(host)) || hostname(host) === socket.localAddress)) return `${scheme}://${host}/fhir`;
  const address = socket.localAddress ?? '127.0.0.1';
  const shown = address.includes(':') ? `[${address}]` : address;
  return `${scheme}://${shown}:${socket.localPort ?? 80}/fhir`;
}

const HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

function firstValue(header: string | string[] | undefined): string | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  const first = v?.split(',')[0]?.trim();
  return first || undefined;
}

/** `host:port`, `[::1]:port` → the host part. */
function hostname(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
  const colon = hostHeader.lastIndexOf(':');
  return colon > 0 ? hostHeader.slice(0, colon) : hostHeader;
}
