// The HTTP server around the FHIR app, with its limits set deliberately: how large and how many
// headers, how long a client may take to send headers and the whole request, how long an idle
// keep-alive connection stays open, how many connections at once. Requests Node's HTTP parser
// refuses (too large, malformed, too slow) never reach the app; they are answered here with an
// OperationOutcome instead of Node's bare status line (the `clientError` event).
import { createServer, STATUS_CODES, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errors, type FhirError } from '../fhir/errors';
import { jsonContentType } from './http-format';

export interface HttpLimits {
  /** Largest request line + headers, in bytes (Node's maxHeaderSize). */
  maxHeaderBytes: number;
  /** Most header fields; Node would silently drop the rest, so a request with more is refused. */
  maxHeaders: number;
  /** Time from connection (or the end of the previous request) to the end of the headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  receiveTimeoutMs: number;
  /** Idle time after which a keep-alive connection is closed. */
  keepAliveTimeoutMs: number;
  /** Concurrent connections; beyond, new connections are closed at once. */
  maxConnections: number;
}

/** Creates the (not yet listening) HTTP server of `app` with these limits. */
export function createHttpServer(app: RequestListener, limits: HttpLimits): Server {
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.receiveTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default): a slow client would
      // keep its socket that much longer than the limit says.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    withHeaderCount(app, limits.maxHeaders),
  );
  server.maxHeadersCount = limits.maxHeaders;
  server.maxConnections = limits.maxConnections;
  server.on('clientError', (err: ParserError, socket: Socket) => answerClientError(err, socket, limits));
  return server;
}

/** Node keeps the first maxHeadersCount headers and drops the others without telling: a request
 * that reached the count may have lost some, so it is refused rather than served half-read. */
function withHeaderCount(app: RequestListener, maxHeaders: number): RequestListener {
  return (req, res) => {
    if (req.rawHeaders.length < 2 * maxHeaders) return app(req, res);
    sendOutcome(res, errors.headersTooLarge(`more than ${maxHeaders - 1} header fields`));
  };
}

function sendOutcome(res: ServerResponse, e: FhirError): void {
  const body = JSON.stringify(e.toOperationOutcome());
  res.writeHead(e.status, { 'Content-Type': jsonContentType('application/fhir+json'), 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}

interface ParserError extends Error {
  code?: string;
  /** What the parser had received of the request when it failed (its first chunk, usually). */
  rawPacket?: Buffer;
}

const METHOD = /^[A-Z]{3,7} /;

/** The FHIR error for a request the parser refused. */
export function parserFailure(err: ParserError, limits: HttpLimits): FhirError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': {
      // A request line that did not end within the limit is a too-long URL (a 1 MB query string).
      const raw = err.rawPacket?.toString('latin1', 0, Math.min(err.rawPacket.length, limits.maxHeaderBytes + 2)) ?? '';
      if (METHOD.test(raw) && !raw.includes('\n')) return errors.uriTooLong(limits.maxHeaderBytes);
      return errors.headersTooLarge(`request line and headers of more than ${limits.maxHeaderBytes} bytes`);
    }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return errors.payloadTooLarge('the chunk extension limit');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errors.requestTimeout(limits.headersTimeoutMs, limits.receiveTimeoutMs);
    default:
      // Malformed requests: Content-Length with Transfer-Encoding, bad chunking, invalid characters.
      return errors.badRequest(`Malformed HTTP request: ${(err as { reason?: string }).reason ?? err.code ?? 'parse error'}`.slice(0, 200));
  }
}

function answerClientError(err: ParserError, socket: Socket, limits: HttpLimits): void {
  // A client that went away needs no answer; one whose response has begun cannot get another.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const e = parserFailure(err, limits);
  const body = JSON.stringify(e.toOperationOutcome());
  socket.end(
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\n` +
      `Content-Type: ${jsonContentType('application/fhir+json')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
