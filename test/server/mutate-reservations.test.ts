import jsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { NodePortReservations } from '../../src/server/nodeport-reservations.js';
import { decodePatch, type Json, post, stateWith, testApp } from './helpers.js';

/** Only 30000-30049 is safe; with random() = 0 the first free port of the band is picked. */
const SAFE_BAND_ONLY = { 'worker-1': '{"ipLocalPortRange": "30050 60999"}' };

function review(uid: string, metadata: object, dryRun = false) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Service' },
      operation: 'CREATE',
      namespace: 'apps',
      dryRun,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata,
        spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }] },
      },
    },
  };
}

async function setup(withMemory: boolean) {
  const memory = new NodePortReservations({ now: () => 0 });
  const t = await testApp({
    state: stateWith(SAFE_BAND_ONLY),
    random: () => 0,
    ...(withMemory ? { nodePortReservations: memory } : {}),
  });
  const mutate = async (body: Json): Promise<Json> => {
    const res = await post(t.app, '/mutate', body);
    const ops = decodePatch(res.body.response);
    return jsonPatch.applyPatch(structuredClone(body.request.object), ops).newDocument;
  };
  return { ...t, memory, mutate };
}

const web = { name: 'web', namespace: 'apps' };
const api = { name: 'api', namespace: 'apps' };
const generated = { generateName: 'web-', namespace: 'apps' };

describe('/mutate remembers the nodePorts it assigned', () => {
  it.each([
    ['another object after a create gets another port', true, review('u1', web), review('u2', api), false],
    [
      'without the memory, both get the same port (the race)',
      false,
      review('u1', web),
      review('u2', api),
      true,
    ],
    ['a dry run reserves nothing', true, review('u1', web, true), review('u2', api), true],
    [
      'a retried create (same name, new uid) gets the same port',
      true,
      review('u1', web),
      review('u2', web),
      true,
    ],
    [
      'generateName creates are distinct objects',
      true,
      review('u1', generated),
      review('u2', generated),
      false,
    ],
  ])('%s', async (_n, withMemory, first, second, same) => {
    const t = await setup(withMemory);
    const a = await t.mutate(first);
    const b = await t.mutate(second);
    expect(a.spec.ports[0].nodePort).toBe(30000);
    expect(b.spec.ports[0].nodePort === a.spec.ports[0].nodePort).toBe(same);
    await t.app.close();
  });

  it('a reinvocation on its own output changes nothing and reserves nothing more', async () => {
    const t = await setup(true);
    const first = review('u1', web);
    const patched = await t.mutate(first);
    expect(t.memory.size).toBe(1);
    const again = await post(t.app, '/mutate', { ...first, request: { ...first.request, object: patched } });
    expect(again.body.response.patch).toBeUndefined();
    expect(t.memory.size).toBe(1);
    await t.app.close();
  });
});
