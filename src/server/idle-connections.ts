/**
 * Closes TLS connections that complete the handshake and then never send a request. node's
 * `headersTimeout` and `requestTimeout` start with the first byte of a request, and
 * `keepAliveTimeout` only after a response, so such a connection is otherwise held forever
 * (thousands of them exhaust file descriptors and memory). The timer stops at the first
 * request: from then on node's own timeouts govern the connection, and a review that takes
 * longer than this limit to answer is never cut by it.
 */
import type { Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';

export function closeConnectionsWithoutRequest(server: TlsServer, limitMs: number): void {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('secureConnection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), limitMs);
    timer.unref();
    timers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: { socket: Socket }) => {
    const timer = timers.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    timers.delete(req.socket);
  });
}
