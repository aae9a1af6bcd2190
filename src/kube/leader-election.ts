/**
 * Leader election over a coordination.k8s.io/v1 Lease, so that of the webhook's replicas
 * only one writes to the cluster (pruning stale ConfigMap keys, periodic PolicyReports).
 *
 * It follows client-go's leaderelection: a candidate takes the Lease when it is free or
 * when its holder has not renewed it for `leaseDurationSeconds`, measured on the local
 * clock from when this candidate last saw the record change (so clock skew between
 * replicas does not matter). The leader renews every `retryPeriodSeconds` and steps down
 * if it cannot renew for `renewDeadlineSeconds`. Every write carries the Lease's
 * resourceVersion, so two candidates racing for the same Lease cannot both win: the
 * apiserver answers the loser 409 Conflict.
 */
import type { V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import { httpStatus } from './http-status.js';
import { CoordinationV1Api, type KubeConfig, V1MicroTime } from './k8s.js';
import type { KubeLogger } from './logger.js';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Lease name; all replicas of one deployment share it. */
  leaseName: string;
  /** This candidate's identity, unique per replica (the pod name). */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  logger: KubeLogger;
  now?: () => number;
  random?: () => number;
  /** Schedules the retries (default: the global timers); tests see what is left pending. */
  timers?: ElectionTimers;
}

export interface ElectionTimers {
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout): void;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops campaigning and, when leading, releases the Lease so another replica takes over at once. */
  stop(): Promise<void>;
}

/** The server's Lease; manifests/base/rbac.yaml grants get/update on exactly this name. */
export const LEADER_LEASE_NAME = 'portguard-leader';

export const LEASE_DURATION_SECONDS = 15;
export const RENEW_DEADLINE_SECONDS = 10;
export const RETRY_PERIOD_SECONDS = 2;
/** Retries are spread by up to this fraction of the period, as client-go's JitterFactor. */
const JITTER = 1.2;

/** Starts campaigning at once; see the module comment. */
export function startLeaderElection(opts: LeaderElectionOptions): LeaderElector {
  const api = opts.kubeConfig.makeApiClient(CoordinationV1Api);
  const { namespace, leaseName: name, identity, logger } = opts;
  const leaseDuration = opts.leaseDurationSeconds ?? LEASE_DURATION_SECONDS;
  const renewDeadlineMs = (opts.renewDeadlineSeconds ?? RENEW_DEADLINE_SECONDS) * 1000;
  const retryMs = (opts.retryPeriodSeconds ?? RETRY_PERIOD_SECONDS) * 1000;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const timers: ElectionTimers = opts.timers ?? { setTimeout, clearTimeout };

  let leading = false;
  /** The last Lease write succeeded; differs from `leading` when stop() came mid-request. */
  let holds = false;
  let stopped = false;
  let lastRenew = 0;
  let observedKey = '';
  let observedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const microNow = (): V1MicroTime => new V1MicroTime(now());

  const observe = (spec: V1LeaseSpec | undefined): void => {
    const key = `${spec?.holderIdentity ?? ''}|${String(spec?.renewTime ?? '')}`;
    if (key !== observedKey) {
      observedKey = key;
      observedAt = now();
    }
  };

  /** One attempt to take or keep the Lease; true when this candidate holds it afterwards. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
      const spec: V1LeaseSpec = {
        holderIdentity: identity,
        leaseDurationSeconds: leaseDuration,
        acquireTime: microNow(),
        renewTime: microNow(),
        leaseTransitions: 0,
      };
      try {
        const created = await api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec },
        });
        observe(created.spec);
        return true;
      } catch (createErr) {
        if (httpStatus(createErr) === 409) return false;
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    observe(spec);
    const holder = spec.holderIdentity ?? '';
    const held = holder !== '' && holder !== identity;
    const ttlMs = (spec.leaseDurationSeconds ?? leaseDuration) * 1000;
    if (held && observedAt + ttlMs > now()) return false;
    const mine = holder === identity;
    const body: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: leaseDuration,
        renewTime: microNow(),
        acquireTime: mine && spec.acquireTime ? spec.acquireTime : microNow(),
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      const updated = await api.replaceNamespacedLease({ name, namespace, body });
      observe(updated.spec);
      return true;
    } catch (err) {
      if (httpStatus(err) === 409) return false;
      throw err;
    }
  };

  const setLeading = (value: boolean): void => {
    if (value === leading) return;
    leading = value;
    logger.info({ lease: `${namespace}/${name}`, identity }, value ? 'started leading' : 'stopped leading');
    try {
      if (value) opts.onStartedLeading();
      else opts.onStoppedLeading();
    } catch (err) {
      logger.error({ err: String(err) }, 'leader election callback failed');
    }
  };

  const tick = async (): Promise<void> => {
    let ok = false;
    try {
      ok = await tryAcquireOrRenew();
    } catch (err) {
      logger.warn({ lease: `${namespace}/${name}`, err: String(err).split('\n')[0] }, 'lease request failed');
    }
    holds = ok;
    if (stopped) return;
    if (ok) {
      lastRenew = now();
      setLeading(true);
    } else if (leading && (observedKey.split('|')[0] !== identity || now() - lastRenew > renewDeadlineMs)) {
      // Someone else holds it, or this replica could not renew in time: a leader that
      // cannot prove it still holds the Lease must stop acting as one.
      setLeading(false);
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    const delay = leading ? retryMs : retryMs * (1 + random() * (JITTER - 1));
    timer = timers.setTimeout(() => {
      inFlight = tick().finally(schedule);
    }, delay);
  };

  inFlight = tick().finally(schedule);

  return {
    isLeader: () => leading,
    stop: async () => {
      stopped = true;
      if (timer) timers.clearTimeout(timer);
      await inFlight.catch(() => {});
      // A Lease taken by a request that was in flight when stop() came is released too,
      // or the other replicas would wait a full lease duration for a replica that is gone.
      if (!leading && !holds) return;
      try {
        const lease = await api.readNamespacedLease({ name, namespace });
        if (lease.spec?.holderIdentity === identity) {
          await api.replaceNamespacedLease({
            name,
            namespace,
            body: {
              ...lease,
              spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microNow() },
            },
          });
        }
      } catch (err) {
        logger.warn({ err: String(err).split('\n')[0] }, 'could not release the lease');
      }
      setLeading(false);
    },
  };
}
