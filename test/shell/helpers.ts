import { createScriptAnalyzer, type ScriptAnalyzer, type ScriptEnv } from '../../src/shell/index.js';

/** One analyzer per test file: creation loads wasm, and the analyzer is meant to be reused. */
let shared: Promise<ScriptAnalyzer> | undefined;
export function analyzer(): Promise<ScriptAnalyzer> {
  shared ??= createScriptAnalyzer({ cacheSize: 0 });
  return shared;
}

/** Env of the seed-000 guard: POD_IP/HOST_IP from the downward API. */
export const GUARD_ENV: ScriptEnv = {
  POD_IP: { fieldRef: 'status.podIP' },
  HOST_IP: { fieldRef: 'status.hostIP' },
};

export const PORT_RANGE = 'net.ipv4.ip_local_port_range';
