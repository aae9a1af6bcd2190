/**
 * Baseline "Node's limit": a bare `node:https` server with the same TLS options, parsing
 * each body as JSON and answering allowed with the request's uid.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { SERVER_TIMEOUTS } from '../../src/server/serve.js';
import { tlsOptions } from '../../src/tls/reloading-context.js';
import { failStartup, readChildConfig, serveIpc } from './child-protocol.js';

async function main(): Promise<void> {
  const cfg = readChildConfig();
  const server = createServer(
    tlsOptions(readFileSync(cfg.certFile), readFileSync(cfg.keyFile)),
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let uid = '';
        try {
          uid = JSON.parse(Buffer.concat(chunks).toString('utf8'))?.request?.uid ?? '';
        } catch {
          res.writeHead(400).end();
          return;
        }
        const body = JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid, allowed: true },
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    },
  );
  Object.assign(server, SERVER_TIMEOUTS);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  serveIpc(
    typeof addr === 'object' && addr ? addr.port : 0,
    0,
    () => new Promise((r) => server.close(() => r())),
  );
}

main().catch(failStartup);
