/**
 * Raw TLS clients for transport tests: what undici will not send (malformed HTTP, a
 * connection that never sends a request) and what it hides (the Connection header, the
 * moment the server closes the socket).
 */
import { connect, type TLSSocket } from 'node:tls';

export interface RawConnection {
  socket: TLSSocket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves true when the server closed the connection, false when `deadlineMs` passed first. */
  closedWithin(deadlineMs: number): Promise<boolean>;
}

/** Opens a TLS connection to 127.0.0.1:`port` and resolves once the handshake is done. */
export async function openTls(port: number, ca: string): Promise<RawConnection> {
  const socket = connect({ host: '127.0.0.1', port, ca: [ca], servername: 'localhost' });
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d) => {
    text += String(d);
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => text,
    async closedWithin(deadlineMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      });
      const outcome = await Promise.race([closed.then(() => true as const), late]);
      clearTimeout(timer);
      if (!outcome) socket.destroy();
      return outcome;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what a server sent on one connection into responses (Content-Length framed). */
export function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = Buffer.from(text);
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString().split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.subarray(end + 4, end + 4 + length).toString();
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    rest = rest.subarray(end + 4 + length);
  }
}

/** An HTTP/1.1 POST of `body` as JSON, with any extra header lines. */
export function post(path: string, body: string, extra: string[] = []): string {
  return [
    `POST ${path} HTTP/1.1`,
    'Host: localhost',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...extra,
    '',
    body,
  ].join('\r\n');
}
