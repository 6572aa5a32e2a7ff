// A same-run ceiling: the smallest server that answers a read by id with the bytes our server
// stored, either on bare node:http or on a bare Express 5 app (one route, no middleware). Run as
// its own process, like the real server: node dist/bench/ceiling-server.js http|express <body file>
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

const [kind, bodyFile, contentType = 'application/fhir+json; charset=utf-8'] = process.argv.slice(2);
const body = fs.readFileSync(bodyFile);

function answer(res: http.ServerResponse): void {
  // The same headers a FHIR read needs (type and length); nothing computed per request.
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', body.length);
  res.end(body);
}

let server: http.Server;
if (kind === 'http') {
  server = http.createServer((_req, res) => answer(res));
} else if (kind === 'express') {
  const app = express();
  app.get('/fhir/:type/:id', (_req, res) => answer(res));
  server = http.createServer(app);
} else {
  process.stderr.write(`usage: ceiling-server http|express <body file> [content type]\n`);
  process.exit(2);
}
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
