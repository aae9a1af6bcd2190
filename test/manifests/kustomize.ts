/**
 * Shared helpers for the manifest tests: build overlays with the real kubectl (the same
 * command users run) and index the resulting objects.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCertsCommand } from '../../src/cli/certs-command.js';

export const MANIFESTS = resolve(import.meta.dirname, '../../manifests');

/** A Kubernetes object as built; fields are accessed loosely because tests assert them. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: test code inspects arbitrary manifest fields
  [field: string]: any;
}

/** Parse a multi-document YAML stream, failing on any YAML error or warning. */
export function parseYamlStream(text: string, source: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0 || doc.warnings.length > 0) {
      throw new Error(`${source}: ${[...doc.errors, ...doc.warnings].map((e) => e.message).join('; ')}`);
    }
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) out.push(value);
  }
  return out;
}

/** `kubectl kustomize <dir>`, parsed. */
export function kustomize(dir: string): K8sObject[] {
  const text = execFileSync('kubectl', ['kustomize', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseYamlStream(text, dir);
}

/**
 * Build the self-signed overlay the way the README says: `portguard certs --write-overlay`,
 * then kustomize. Runs in a temp copy so the repo never gets generated keys.
 */
export async function buildSelfSigned(): Promise<{ objects: K8sObject[]; caBundle: string }> {
  const tmp = await mkdtemp(join(tmpdir(), 'portguard-manifests-'));
  try {
    await cp(MANIFESTS, join(tmp, 'manifests'), { recursive: true });
    const out: string[] = [];
    const code = await runCertsCommand(
      {
        out: join(tmp, 'certs'),
        service: 'portguard',
        namespace: 'portguard-system',
        days: 30,
        force: false,
        writeOverlay: join(tmp, 'manifests/overlays/self-signed'),
      },
      { stdout: (s) => out.push(s), stderr: () => {} },
    );
    if (code !== 0) throw new Error(`portguard certs exited ${code}`);
    return { objects: kustomize(join(tmp, 'manifests/overlays/self-signed')), caBundle: out.join('').trim() };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Build `resources` plus `components` the way a user adds a component to their overlay:
 * a kustomization of their own next to ours (in a temp copy, so the repo stays clean).
 */
export async function buildWithComponents(resources: string, components: string[]): Promise<K8sObject[]> {
  const tmp = await mkdtemp(join(tmpdir(), 'portguard-manifests-'));
  try {
    await cp(MANIFESTS, join(tmp, 'manifests'), { recursive: true });
    const dir = join(tmp, 'manifests/overlays/with-components');
    await mkdir(dir);
    const lines = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      `  - ../../${resources}`,
      'components:',
      ...components.map((c) => `  - ../../components/${c}`),
    ];
    await writeFile(join(dir, 'kustomization.yaml'), `${lines.join('\n')}\n`);
    return kustomize(dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Find exactly one object by kind and name; throws so a missing resource fails loudly. */
export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const hits = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (hits.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${hits.length}`);
  return hits[0]!;
}
