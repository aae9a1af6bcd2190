import { describe, expect, it } from 'vitest';
import { buildHealthApp } from '../../src/server/app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { recordingLogger } from './helpers.js';

function healthApp(ready: boolean) {
  const metrics = createMetrics();
  const detail = { informers: { services: ready ? 'synced' : 'listing' } };
  return {
    app: buildHealthApp({ isReady: () => ({ ready, detail }), metrics, logger: recordingLogger().logger }),
    metrics,
  };
}

describe('health app', () => {
  it.each([
    [true, 200],
    [false, 503],
  ])('readyz with ready=%s → %i and JSON detail', async (ready, code) => {
    const { app } = healthApp(ready);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(code);
    expect(res.json()).toEqual({ ready, informers: { services: ready ? 'synced' : 'listing' } });
    await app.close();
  });

  it('healthz answers even when not ready', async () => {
    const { app } = healthApp(false);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await app.close();
  });

  it('exposes the metrics src/kube updates, on its own registry', async () => {
    const { app, metrics } = healthApp(true);
    metrics.rangesReloadErrors.inc();
    metrics.informerSynced.set({ resource: 'services' }, 1);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('portguard_ranges_reload_errors_total 1');
    expect(text).toContain('portguard_informer_synced{resource="services"} 1');
    expect(createMetrics().registry).not.toBe(metrics.registry);
    await app.close();
  });

  it('has no admission routes', async () => {
    const { app } = healthApp(true);
    const res = await app.inject({ method: 'POST', url: '/validate', payload: {} });
    expect(res.statusCode).toBe(404);
    await app.close();
  });
});
