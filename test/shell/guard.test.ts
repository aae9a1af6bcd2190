import { describe, expect, it } from 'vitest';
import type { ScriptEnv } from '../../src/shell/index.js';
import { analyzer, GUARD_ENV } from './helpers.js';

const W = 'sysctl -w net.ipv4.ip_local_port_range="1024 65535"';

/** onlyInOwnNetns of each write, in order. */
async function guarded(script: string, env: ScriptEnv = GUARD_ENV): Promise<boolean[]> {
  const r = (await analyzer()).analyzeScript(script, env);
  expect(r.unknown).toBeUndefined();
  return r.writes.map((w) => w.onlyInOwnNetns);
}

describe('netns guard (seed 000)', () => {
  it.each<[string, boolean[]]>([
    // The seed's form.
    [`if [ "$POD_IP" != "$HOST_IP" ]; then\nmount -o remount rw /proc/sys\n${W}\nfi`, [true]],
    [`if [ "$HOST_IP" != "$POD_IP" ]; then ${W}; fi`, [true]],
    [`if [[ "$POD_IP" != "$HOST_IP" ]]; then ${W}; fi`, [true]],
    [`if [[ $POD_IP != $HOST_IP ]]; then ${W}; fi`, [true]],
    [`if [ "\${POD_IP}" != "\${HOST_IP}" ]; then ${W}; fi`, [true]],
    [`if test "$POD_IP" != "$HOST_IP"; then ${W}; fi`, [true]],
    [`if ! [ "$POD_IP" = "$HOST_IP" ]; then ${W}; fi`, [true]],
    [`if [ ! "$POD_IP" = "$HOST_IP" ]; then ${W}; fi`, [true]],
    // `=` form: the else branch (and elif after it) is the own-netns side.
    [`if [ "$POD_IP" = "$HOST_IP" ]; then echo hostnet; else ${W}; fi`, [true]],
    [`if [ "$POD_IP" = "$HOST_IP" ]; then ${W}; fi`, [false]],
    [`if [ "$POD_IP" != "$HOST_IP" ]; then :; else ${W}; fi`, [false]],
    [`if [ "$POD_IP" = "$HOST_IP" ]; then :; elif true; then ${W}; fi`, [true]],
    [`if [ "$POD_IP" == "$HOST_IP" ]; then\n  echo skip\nelse\n  ${W}\nfi`, [true]],
    // Lists.
    [`[ "$POD_IP" = "$HOST_IP" ] || ${W}`, [true]],
    [`[ "$POD_IP" != "$HOST_IP" ] && ${W}`, [true]],
    [`[ "$POD_IP" != "$HOST_IP" ] || ${W}`, [false]],
    [`[ "$POD_IP" = "$HOST_IP" ] && ${W}`, [false]],
    [`[ "$POD_IP" != "$HOST_IP" ] && mount -o remount rw /proc/sys && ${W}`, [true]],
    // Early exit.
    [`[ "$POD_IP" = "$HOST_IP" ] && exit 0\n${W}`, [true]],
    [`[ "$POD_IP" != "$HOST_IP" ] || exit 0\n${W}`, [true]],
    [`if [ "$POD_IP" = "$HOST_IP" ]; then\n  echo "host network, skipping"\n  exit 0\nfi\n${W}`, [true]],
    [`${W}\n[ "$POD_IP" = "$HOST_IP" ] && exit 0\nsysctl -w a.b=1`, [false, true]],
    [`[ "$POD_IP" = "$HOST_IP" ] && echo same\n${W}`, [false]],
    [`[ "$POD_IP" = "$HOST_IP" ] && return 0\n${W}`, [true]],
    [`(\n[ "$POD_IP" = "$HOST_IP" ] && exit 0\n)\n${W}`, [false]],
    // Writes in functions and groups inherit the guard of the call site.
    [`tune() { ${W}; }\nif [ "$POD_IP" != "$HOST_IP" ]; then tune; fi\ntune`, [true, false]],
    [`if [ "$POD_IP" != "$HOST_IP" ]; then { ${W}; }; fi`, [true]],
    [`if [ "$POD_IP" != "$HOST_IP" ]; then for i in 1; do ${W}; done; fi`, [true]],
    [
      `if [ "$POD_IP" != "$HOST_IP" ]; then echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range; fi`,
      [true],
    ],
    // nsenter into the node's netns escapes the guard; other namespaces do not.
    [`if [ "$POD_IP" != "$HOST_IP" ]; then nsenter -t 1 -n -- ${W}; fi`, [false]],
    [`if [ "$POD_IP" != "$HOST_IP" ]; then nsenter -t1 -mnu sh -c '${W}'; fi`, [false]],
    [`if [ "$POD_IP" != "$HOST_IP" ]; then nsenter -t 1 -m -- ${W}; fi`, [true]],
    // Other comparisons are not the guard.
    [`if [ "$POD_IP" != "" ]; then ${W}; fi`, [false]],
    [`if [ "$POD_IP" != "$HOST_IP" -o 1 ]; then ${W}; fi`, [false]],
    [`if [ "x$POD_IP" != "x$HOST_IP" ]; then ${W}; fi`, [false]],
    [`POD_IP=1.2.3.4\nif [ "$POD_IP" != "$HOST_IP" ]; then ${W}; fi`, [false]],
  ])('%s', async (script, expected) => {
    expect(await guarded(script)).toEqual(expected);
  });

  it.each<[string, ScriptEnv]>([
    ['no env', {}],
    ['literal env values', { POD_IP: { value: '10.0.0.1' }, HOST_IP: { value: '10.0.0.2' } }],
    ['both podIP', { POD_IP: { fieldRef: 'status.podIP' }, HOST_IP: { fieldRef: 'status.podIP' } }],
    ['other fieldRefs', { POD_IP: { fieldRef: 'status.podIP' }, HOST_IP: { fieldRef: 'spec.nodeName' } }],
  ])('does not trust the guard with %s', async (_name, env) => {
    expect(await guarded(`if [ "$POD_IP" != "$HOST_IP" ]; then ${W}; fi`, env)).toEqual([false]);
  });

  it('accepts any variable names bound to the right fieldRefs', async () => {
    const env = { MY_IP: { fieldRef: 'status.podIP' }, NODE_IP: { fieldRef: 'status.hostIP' } };
    expect(await guarded(`if [ "$MY_IP" != "$NODE_IP" ]; then ${W}; fi`, env)).toEqual([true]);
  });
});
