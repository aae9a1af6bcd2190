/**
 * A rolling restart of two real `portguard serve` processes under steady keep-alive load
 * loses no review. The client is modelled on the apiserver behind a Service: it never
 * retries a POST on a reset, keeps connections open per endpoint, and sends only to the
 * endpoints an endpoints controller currently lists as ready, which polls each replica's
 * /readyz on its own interval. A replica that stopped at once on SIGTERM would still be
 * listed when it refused or reset the next request; the drain period covers that lag.
 */
import { rm } from 'node:fs/promises';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../server/helpers.js';
import { waitFor } from '../support/list-watch-server.js';
import { buildCli } from './build.js';
import { type Json, sleep, tempCertificates } from './helpers.js';
import { type Served, spawnServe } from './serve-process.js';

const fixture = loadFixture('validate-create-service-nodeport-explicit');
const review = JSON.stringify(fixture);
const uid = fixture.request.uid as string;
/** Well above the controller's poll interval, far below the test's deadlines. */
const DRAIN = ['--drain-period', '1500ms'];
const POLL_MS = 200;

/** The endpoints controller: one slot per pod, listed while its /readyz says 200. */
class Endpoints {
  readonly replicas: (Served | undefined)[] = [undefined, undefined];

  /** A new pod of the rollout, in a slot of its own. */
  add(served: Served): void {
    this.replicas.push(served);
  }

  /** A pod that has exited is no longer polled. */
  remove(served: Served): void {
    this.replicas[this.replicas.indexOf(served)] = undefined;
  }
  private ready = new Set<number>();
  private running = true;
  private next = 0;
  readonly polling = this.poll();

  private async poll(): Promise<void> {
    while (this.running) {
      await Promise.all(
        this.replicas.map(async (r) => {
          if (!r) return;
          let ok = false;
          try {
            ok = (await fetch(`http://127.0.0.1:${r.healthPort}/readyz`)).status === 200;
          } catch {
            // Refused or reset: not an endpoint.
          }
          if (ok) this.ready.add(r.port);
          else this.ready.delete(r.port);
        }),
      );
      await sleep(POLL_MS);
    }
  }

  /** A ready endpoint's port, round robin; undefined when none is listed. */
  pick(): number | undefined {
    const ports = [...this.ready];
    if (ports.length === 0) return undefined;
    return ports[this.next++ % ports.length];
  }

  async untilReady(port: number, deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (!this.ready.has(port)) {
      if (Date.now() > until) throw new Error(`endpoint ${port} never became ready`);
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.polling;
  }
}

describe('rolling restart of two replicas (real binaries)', () => {
  let main: string;
  let certs: Awaited<ReturnType<typeof tempCertificates>>;
  beforeAll(async () => {
    main = buildCli();
    certs = await tempCertificates();
  }, 180_000);
  afterAll(async () => {
    await rm(certs.dir, { recursive: true, force: true });
  });

  it('loses no review from a client that never retries a POST', async () => {
    const endpoints = new Endpoints();
    await Promise.all(
      [0, 1].map(async (slot) => {
        const served = await spawnServe(main, certs, DRAIN);
        endpoints.replicas[slot] = served;
        await endpoints.untilReady(served.port, 30_000);
      }),
    );

    // One keep-alive pool per endpoint, as Go's transport keeps one per host.
    const agents = new Map<number, Agent>();
    const agentFor = (port: number) => {
      let agent = agents.get(port);
      if (!agent) {
        agent = new Agent({ connect: { ca: [certs.bundle.caCert] }, connections: 4 });
        agents.set(port, agent);
      }
      return agent;
    };
    const failures: string[] = [];
    const answeredBy = new Map<number, number>();
    let running = true;
    const worker = async () => {
      while (running) {
        const port = endpoints.pick();
        if (port === undefined) {
          failures.push('no ready endpoint');
          await sleep(POLL_MS);
          continue;
        }
        try {
          const res = await request(`https://127.0.0.1:${port}/validate?timeout=5s`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: review,
            dispatcher: agentFor(port),
          });
          const body = (await res.body.json()) as Json;
          if (res.statusCode !== 200 || body?.response?.uid !== uid)
            failures.push(`${port}: HTTP ${res.statusCode} ${JSON.stringify(body).slice(0, 200)}`);
          else answeredBy.set(port, (answeredBy.get(port) ?? 0) + 1);
        } catch (err) {
          failures.push(`${port}: ${(err as { code?: string }).code ?? (err as Error).message}`);
        }
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    /** Waits until `port` has answered `n` more reviews than it had when called. */
    const answers = (port: number, n: number) => {
      const from = answeredBy.get(port) ?? 0;
      return waitFor(() => (answeredBy.get(port) ?? 0) >= from + n, 30_000, `${n} answers from ${port}`);
    };

    // The shipped rollout (maxSurge 1, maxUnavailable 0): a new pod starts and becomes ready,
    // then an old one gets SIGTERM. A terminating pod no longer counts, so the next new pod
    // starts while the old one drains.
    const restarted: number[] = [];
    const drained: Promise<number | null>[] = [];
    for (const old of endpoints.replicas.slice() as Served[]) {
      const fresh = await spawnServe(main, certs, DRAIN);
      endpoints.add(fresh);
      await endpoints.untilReady(fresh.port, 30_000);
      restarted.push(fresh.port);
      // The load is on the replica when it gets SIGTERM, with keep-alive connections open.
      await answers(old.port, 20);
      old.child.kill('SIGTERM');
      drained.push(
        old.exited.then(({ code }) => {
          endpoints.remove(old);
          return code;
        }),
      );
    }
    expect(await Promise.all(drained)).toEqual([0, 0]);
    // The load reached both new replicas before it stops.
    for (const port of restarted) await answers(port, 20);
    running = false;
    await Promise.all(workers);
    await endpoints.stop();
    for (const r of endpoints.replicas) r?.child.kill('SIGTERM');
    await Promise.all(endpoints.replicas.map((r) => r?.exited));
    await Promise.all([...agents.values()].map((a) => a.close()));

    expect(failures).toEqual([]);
    // The load really ran through the restart and reached the new replicas.
    for (const port of restarted) expect(answeredBy.get(port) ?? 0).toBeGreaterThan(0);
    console.info(`rolling restart: ${JSON.stringify(Object.fromEntries(answeredBy))} answered, 0 failed`);
  }, 90_000);
});
