// The web console (console/ in the repository, built by `npm run build` into dist/console) served
// as static files at /console, plus `features.json`, which tells the console what this server
// has: the auth mode (anonymous, or SMART sign-in through the built-in `nimbus-console` client)
// and whether the CDS Hooks services and the API docs page are mounted.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import type { Config } from '../config';
import { errors } from '../fhir/errors';

/** dist/console, both from dist/src/rest (the built server) and from src/rest (tests via SWC). */
export function consoleDirectory(): string {
  const up = path.resolve(__dirname, '..', '..');
  return path.basename(up) === 'dist' ? path.join(up, 'console') : path.join(up, 'dist', 'console');
}

// The console's pages run only the bundle's own script, call only this origin, and are never framed.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

export function consoleRoutes(config: Pick<Config, 'auth'>, version: string, dir = consoleDirectory()): Router {
  const router = Router();
  router.get('/', (_req, res) => res.redirect(302, 'console/'));
  router.use('/console', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  const probes = new RouteProbes();
  router.get('/console/features.json', async (req: Request, res: Response) => {
    const [cdsHooks, docs] = await Promise.all([probes.exists(req, '/cds-services'), probes.exists(req, '/docs')]);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ auth: config.auth, cdsHooks, docs, version });
  });
  // Hashed asset names change with their content: cacheable for good. index.html is revalidated.
  router.use('/console/assets', express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: true, index: false }));
  // Express matches /console and /console/ alike; the page needs the slash for its relative URLs.
  router.get('/console', (req, res, next) => {
    if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(301, `${req.originalUrl.split('?')[0]}/${req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : ''}`);
    const index = path.join(dir, 'index.html');
    if (!fs.existsSync(index)) return next(errors.unknownRoute('/console/ (the console is not built: run `npm run build`)'));
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}

/**
 * Whether a route outside the FHIR base exists on this server (the CDS Hooks discovery, the docs
 * page): other modules mount them, so the server asks itself once over the connection's own local
 * address. The console could probe them itself, but a browser logs every 404 as an error.
 */
class RouteProbes {
  private readonly known = new Map<string, Promise<boolean>>();

  exists(req: Request, route: string): Promise<boolean> {
    let answer = this.known.get(route);
    if (!answer) {
      answer = probe(req, route);
      this.known.set(route, answer);
      // A failed probe (e.g. the server was busy) is asked again next time.
      answer.then((ok) => ok || this.known.delete(route), () => this.known.delete(route));
    }
    return answer.catch(() => false);
  }
}

function probe(req: Request, route: string): Promise<boolean> {
  const host = req.socket.localAddress ?? '127.0.0.1';
  return new Promise((resolve) => {
    const call = http.get({ host: host.replace(/^::ffff:/, ''), port: req.socket.localPort, path: route, headers: { Accept: 'application/json, text/html' }, timeout: 2000 }, (res) => {
      res.resume();
      // 401/403: the route is there, it only wants a token.
      resolve(res.statusCode !== undefined && res.statusCode !== 404 && res.statusCode < 500);
    });
    call.on('timeout', () => call.destroy());
    call.on('error', () => resolve(false));
  });
}
