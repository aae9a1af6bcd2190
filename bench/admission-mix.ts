/**
 * The request mix: Services with and without nodePorts, Pods with 30-line init scripts,
 * Deployments, and Service UPDATEs with `oldObject`. Each item is both a `ReviewInput`
 * (for the in-process section) and an AdmissionReview body (for the HTTPS section),
 * wrapped in an envelope copied from the captured apiserver fixtures when they are
 * available, so bodies carry real-world metadata (managedFields, last-applied).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReviewInput } from '../src/core/types.js';
import { fixturesDir } from './paths.js';
import { createRng, type Rng } from './prng.js';
import { initContainer, randomScriptParams, SCRIPT_FLAVOURS, type ScriptParams } from './scripts.js';
import type { SyntheticCluster } from './synthetic.js';

type Obj = Record<string, unknown>;

export type MixKind = 'service' | 'service-unset' | 'pod-script' | 'deployment' | 'update';
export type Webhook = 'validate' | 'mutate';

export interface MixItem {
  kind: MixKind;
  webhook: Webhook;
  input: ReviewInput;
  /** Serialised AdmissionReview, ready to POST. */
  body: string;
}

/** Share of each request type in the HTTPS load. */
export const MIX_WEIGHTS: readonly { kind: MixKind; webhook: Webhook; weight: number }[] = [
  { kind: 'service', webhook: 'validate', weight: 25 },
  { kind: 'service-unset', webhook: 'mutate', weight: 15 },
  { kind: 'pod-script', webhook: 'validate', weight: 20 },
  { kind: 'pod-script', webhook: 'mutate', weight: 10 },
  { kind: 'deployment', webhook: 'validate', weight: 15 },
  { kind: 'update', webhook: 'validate', weight: 15 },
];

const TEMPLATE_FILES: Record<`${Webhook}:${MixKind}`, string> = {
  'validate:service': 'validate-create-service-nodeport-explicit.json',
  'mutate:service': 'mutate-create-service-nodeport-explicit.json',
  'validate:service-unset': 'validate-create-service-nodeport-unset.json',
  'mutate:service-unset': 'mutate-create-service-nodeport-unset.json',
  'validate:pod-script': 'validate-create-pod-hostnetwork-init-sysctl.json',
  'mutate:pod-script': 'mutate-create-pod-hostnetwork-init-sysctl.json',
  'validate:deployment': 'validate-create-deployment-guarded-init.json',
  'mutate:deployment': 'mutate-create-deployment-guarded-init.json',
  'validate:update': 'validate-update-service-nodeport-explicit.json',
  'mutate:update': 'mutate-update-service-nodeport-explicit.json',
};

const templateCache = new Map<string, Obj | undefined>();

function template(webhook: Webhook, kind: MixKind): Obj | undefined {
  const file = TEMPLATE_FILES[`${webhook}:${kind}`];
  if (templateCache.has(file)) return templateCache.get(file);
  const dir = fixturesDir();
  let parsed: Obj | undefined;
  if (dir) {
    try {
      parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Obj;
    } catch {
      parsed = undefined;
    }
  }
  templateCache.set(file, parsed);
  return parsed;
}

const GROUPS: Record<string, { group: string; version: string; resource: string }> = {
  Service: { group: '', version: 'v1', resource: 'services' },
  Pod: { group: '', version: 'v1', resource: 'pods' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
};

/** Adds what kubectl and the apiserver add: last-applied and the fixture's managedFields. */
function decorate(object: Obj, tpl: Obj | undefined): Obj {
  const meta = object.metadata as Obj;
  const tplMeta = ((tpl?.request as Obj | undefined)?.object as Obj | undefined)?.metadata as Obj | undefined;
  const lastApplied = JSON.stringify({
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name: meta.name, namespace: meta.namespace },
    spec: object.spec,
  });
  return {
    ...object,
    metadata: {
      ...meta,
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${lastApplied}\n` },
      ...(tplMeta?.managedFields ? { managedFields: tplMeta.managedFields } : {}),
    },
  };
}

/** An AdmissionReview as the apiserver sends it, built on the fixture envelope. */
function envelope(webhook: Webhook, kind: MixKind, input: ReviewInput, uid: string): string {
  const tpl = template(webhook, kind);
  const object = input.object as Obj;
  const meta = object.metadata as Obj;
  const gvr = GROUPS[object.kind as string]!;
  const tplReq = (tpl?.request as Obj | undefined) ?? {};
  const request: Obj = {
    ...tplReq,
    uid,
    kind: { group: gvr.group, version: gvr.version, kind: object.kind },
    resource: { group: gvr.group, version: gvr.version, resource: gvr.resource },
    requestKind: { group: gvr.group, version: gvr.version, kind: object.kind },
    requestResource: { group: gvr.group, version: gvr.version, resource: gvr.resource },
    name: meta.name,
    namespace: meta.namespace,
    operation: input.operation,
    userInfo: tplReq.userInfo ?? { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
    object: decorate(object, tpl),
    oldObject: input.oldObject === undefined ? null : decorate(input.oldObject as Obj, tpl),
    dryRun: false,
  };
  return JSON.stringify({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request });
}

function serviceObject(name: string, namespace: string, nodePort: number | undefined, rng: Rng): Obj {
  const port: Obj = { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 };
  if (nodePort !== undefined) port.nodePort = nodePort;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name, team: `team-${rng.int(0, 39)}` } },
    spec: {
      type: 'NodePort',
      selector: { app: name },
      ports: [port],
      externalTrafficPolicy: 'Cluster',
      sessionAffinity: 'None',
    },
  };
}

function podSpec(params: ScriptParams, rng: Rng, hostNetwork: boolean): Obj {
  const spec: Obj = {
    hostNetwork,
    initContainers: [initContainer(params)],
    containers: [
      {
        name: 'app',
        image: 'registry.example/app:2.4',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
      },
    ],
  };
  if (rng.next() < 0.5) spec.nodeSelector = { pool: rng.pick(['general', 'batch', 'ingress', 'legacy']) };
  return spec;
}

function podObject(name: string, namespace: string, params: ScriptParams, rng: Rng): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: podSpec(params, rng, params.flavour !== 'benign' && rng.next() < 0.5),
  };
}

function deploymentObject(name: string, namespace: string, params: ScriptParams, rng: Rng): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: rng.int(1, 6),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec(params, rng, rng.next() < 0.3) },
    },
  };
}

/** Builds inputs of one kind; `uniqueScripts` gives every pod a never-seen script text. */
export class MixBuilder {
  private readonly rng: Rng;
  private serial = 0;
  /** A small fixed set of scripts, as a real cluster repeats the same few init scripts. */
  private readonly commonScripts: ScriptParams[];
  private readonly lowFree: number[];

  constructor(
    private readonly cluster: SyntheticCluster,
    seed: number,
  ) {
    this.rng = createRng(seed);
    this.lowFree = cluster.freeNodePorts.filter((p) => p <= 32767);
    this.commonScripts = [];
    for (const flavour of SCRIPT_FLAVOURS)
      for (let i = 0; i < 4; i++)
        this.commonScripts.push(
          randomScriptParams(this.rng, flavour, 1000 + this.commonScripts.length, `common-${i}`),
        );
  }

  private nextName(prefix: string): string {
    this.serial++;
    return `${prefix}-${this.serial}`;
  }

  /** Half the explicit ports come from 30000–32767, which no synthetic profile leaves unreserved. */
  private freePort(): number {
    if (this.lowFree.length > 0 && this.rng.next() < 0.5) return this.rng.pick(this.lowFree);
    return this.rng.pick(this.cluster.freeNodePorts);
  }

  private script(unique: boolean): ScriptParams {
    if (!unique) return this.rng.pick(this.commonScripts);
    this.serial++;
    return randomScriptParams(
      this.rng,
      this.rng.pick(SCRIPT_FLAVOURS),
      100000 + this.serial,
      `one-off-${this.serial}`,
    );
  }

  input(kind: MixKind, opts: { uniqueScripts?: boolean } = {}): ReviewInput {
    const ns = this.rng.pick(this.cluster.namespaces);
    switch (kind) {
      case 'service':
        return {
          operation: 'CREATE',
          object: serviceObject(this.nextName('new-svc'), ns, this.freePort(), this.rng),
        };
      case 'service-unset':
        return {
          operation: 'CREATE',
          object: serviceObject(this.nextName('new-svc'), ns, undefined, this.rng),
        };
      case 'pod-script':
        return {
          operation: 'CREATE',
          object: podObject(this.nextName('tuned'), ns, this.script(opts.uniqueScripts === true), this.rng),
        };
      case 'deployment':
        return {
          operation: 'CREATE',
          object: deploymentObject(
            this.nextName('web'),
            ns,
            this.script(opts.uniqueScripts === true),
            this.rng,
          ),
        };
      case 'update': {
        const old = this.rng.pick(this.cluster.services);
        const object = structuredClone(old);
        const meta = object.metadata as Obj;
        if (this.rng.next() < 0.5) {
          // Moving a nodePort, as in the fixture's `kubectl patch`.
          const ports = (object.spec as Obj).ports as Obj[];
          ports[0]!.nodePort = this.freePort();
        } else {
          // A metadata-only edit (label, finalizer removal) that must never be blocked.
          meta.labels = { ...(meta.labels as Obj), revision: String(this.serial) };
        }
        return { operation: 'UPDATE', object, oldObject: old, namespace: meta.namespace as string };
      }
    }
  }

  item(kind: MixKind, webhook: Webhook, opts: { uniqueScripts?: boolean } = {}): MixItem {
    const input = this.input(kind, opts);
    const uid = `bench-${this.serial}-${Math.floor(this.rng.next() * 1e9)}`;
    return { kind, webhook, input, body: envelope(webhook, kind, input, uid) };
  }
}

/** A shuffled list of `count` requests in the proportions of `MIX_WEIGHTS`. */
export function buildMix(cluster: SyntheticCluster, count: number, seed = 7): MixItem[] {
  const builder = new MixBuilder(cluster, seed);
  const items: MixItem[] = [];
  const total = MIX_WEIGHTS.reduce((s, w) => s + w.weight, 0);
  for (const w of MIX_WEIGHTS) {
    const n = Math.max(1, Math.round((w.weight / total) * count));
    for (let i = 0; i < n; i++) items.push(builder.item(w.kind, w.webhook));
  }
  return createRng(seed + 1).shuffle(items);
}
