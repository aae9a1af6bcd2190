/**
 * What a container's script reads from ConfigMaps: env values (`configMapKeyRef`, `envFrom`)
 * and files (configMap volumes, also inside projected volumes). Node-tuning DaemonSets keep
 * their sysctl names and scripts there, so without this data such a write is unknown. The data
 * itself comes from the caller as plain data: ConfigMaps in the same `check` input, or ones the
 * webhook looked up through the API. A ConfigMap that is not in `configMaps` stays unknown.
 */
import type { ScriptEnv } from '../shell/index.js';
import { isObject, type Json } from './object-view.js';
import { MAX_SCRIPT_ENV_ENTRIES } from './script-limits.js';

/** ConfigMap `data` by `namespace/name`. */
export type ConfigMapData = ReadonlyMap<string, Readonly<Record<string, string>>>;

export function configMapKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The names of the ConfigMaps a pod spec reads (env, envFrom, volumes), sorted, once each. */
export function configMapRefsOf(spec: Json): string[] {
  const names = new Set<string>();
  if (!isObject(spec)) return [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      if (!isObject(c)) continue;
      for (const e of Array.isArray(c.env) ? c.env : []) {
        const name = e?.valueFrom?.configMapKeyRef?.name;
        if (typeof name === 'string' && name) names.add(name);
      }
      for (const e of Array.isArray(c.envFrom) ? c.envFrom : []) {
        const name = e?.configMapRef?.name;
        if (typeof name === 'string' && name) names.add(name);
      }
    }
  }
  for (const v of volumeSources(spec)) names.add(v.name);
  return [...names].sort();
}

interface VolumeSource {
  volume: string;
  name: string;
  items?: { key: string; path: string }[];
}

/** configMap volumes and the configMap sources of projected volumes, by volume name. */
function volumeSources(spec: Json): VolumeSource[] {
  const out: VolumeSource[] = [];
  const itemsOf = (src: Json) =>
    Array.isArray(src.items)
      ? src.items
          .filter((i: Json) => isObject(i) && typeof i.key === 'string' && typeof i.path === 'string')
          .map((i: Json) => ({ key: i.key, path: i.path }))
      : undefined;
  for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) {
    if (!isObject(v) || typeof v.name !== 'string') continue;
    if (isObject(v.configMap) && typeof v.configMap.name === 'string') {
      out.push({ volume: v.name, name: v.configMap.name, items: itemsOf(v.configMap) });
    }
    const sources = v.projected?.sources;
    if (!Array.isArray(sources)) continue;
    for (const s of sources) {
      if (isObject(s?.configMap) && typeof s.configMap.name === 'string') {
        out.push({ volume: v.name, name: s.configMap.name, items: itemsOf(s.configMap) });
      }
    }
  }
  return out;
}

/** What one container's script can read: its env and the ConfigMap files mounted into it. */
export interface ContainerInputs {
  env: ScriptEnv;
  /** File contents by absolute path. */
  files: Record<string, string>;
}

function joinPath(dir: string, file: string): string {
  return `${dir.replace(/\/+$/, '')}/${file.replace(/^\/+/, '')}`;
}

export function containerInputs(
  container: Json,
  spec: Json,
  namespace: string,
  configMaps: ConfigMapData | undefined,
): ContainerInputs {
  const data = (name: string) => configMaps?.get(configMapKey(namespace, name));
  // No prototype: a variable or file named `__proto__` or `constructor` is data like any other.
  const env: ScriptEnv = Object.create(null);
  // Stops one name past the cap: the caller then reports the script unknown (script-limits.ts),
  // so a 1 MiB ConfigMap of tiny keys is never turned into variables in full.
  let names = 0;
  const put = (name: string, value: ScriptEnv[string]) => {
    if (!Object.hasOwn(env, name)) names++;
    env[name] = value;
    return names <= MAX_SCRIPT_ENV_ENTRIES;
  };
  // envFrom first: an explicit env entry of the same name wins, as in the kubelet.
  for (const e of Array.isArray(container.envFrom) ? container.envFrom : []) {
    const name = e?.configMapRef?.name;
    const d = typeof name === 'string' ? data(name) : undefined;
    if (!d) continue;
    const prefix = typeof e.prefix === 'string' ? e.prefix : '';
    for (const k of Object.keys(d)) if (!put(prefix + k, { value: d[k]! })) return { env, files: {} };
  }
  for (const e of Array.isArray(container.env) ? container.env : []) {
    if (!isObject(e) || typeof e.name !== 'string') continue;
    let value: ScriptEnv[string];
    if (typeof e.value === 'string') value = { value: e.value };
    else if (typeof e.valueFrom?.fieldRef?.fieldPath === 'string')
      value = { fieldRef: e.valueFrom.fieldRef.fieldPath };
    else {
      const ref = e.valueFrom?.configMapKeyRef;
      const v = isObject(ref) && typeof ref.name === 'string' ? data(ref.name)?.[ref.key] : undefined;
      value = typeof v === 'string' ? { value: v } : {};
    }
    if (!put(e.name, value)) return { env, files: {} };
  }
  const files: Record<string, string> = Object.create(null);
  const sources = volumeSources(spec);
  for (const m of Array.isArray(container.volumeMounts) ? container.volumeMounts : []) {
    if (!isObject(m) || typeof m.name !== 'string' || typeof m.mountPath !== 'string') continue;
    for (const src of sources) {
      if (src.volume !== m.name) continue;
      const d = data(src.name);
      if (!d) continue;
      const entries: [string, string][] = src.items
        ? src.items.flatMap((i) =>
            typeof d[i.key] === 'string' ? [[i.path, d[i.key]!] as [string, string]] : [],
          )
        : Object.entries(d);
      for (const [path, content] of entries) {
        if (typeof m.subPath === 'string' && m.subPath !== '') {
          if (m.subPath === path) files[m.mountPath] = content;
        } else files[joinPath(m.mountPath, path)] = content;
      }
    }
  }
  return { env, files };
}
