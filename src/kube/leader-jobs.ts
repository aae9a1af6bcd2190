/**
 * Runs background jobs only while this replica holds the leader Lease: started when
 * leadership is gained, stopped when it is lost, and stopped before the Lease is
 * released on shutdown, so two replicas never write (prune ConfigMap keys, PolicyReports)
 * at the same time. Nothing here is on the admission path; reviews never wait for it.
 */
import type { LeaderElector } from './leader-election.js';
import type { KubeLogger } from './logger.js';

/** What a running job gives back: a way to stop it and wait for work in progress. */
export interface RunningJob {
  stop(): Promise<void>;
}

/** One leader-only job, e.g. pruning stale node keys or the periodic audit. */
export interface LeaderJob {
  name: string;
  /**
   * Called each time leadership is gained. `isLeader` turns false as soon as leadership
   * is lost or shutdown starts, so long runs can stop before their next write.
   */
  start(ctx: { isLeader: () => boolean }): RunningJob;
}

export interface LeaderElectionCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

export interface LeaderJobsOptions {
  /** Starts campaigning with these callbacks (`startLeaderElection` in the server). */
  elect(callbacks: LeaderElectionCallbacks): LeaderElector;
  jobs: LeaderJob[];
  logger: KubeLogger;
  /**
   * On shutdown, how long to wait for jobs before releasing the Lease anyway. Kubernetes
   * kills the pod 30 s after SIGTERM and the server has already spent time draining.
   */
  stopTimeoutMs?: number;
  /** Told when this replica gains (true) or loses (false) leadership, e.g. for a metric. */
  onLeadingChange?: (leading: boolean) => void;
}

export interface LeaderJobs {
  isLeader(): boolean;
  /** Stops the jobs (bounded by `stopTimeoutMs`), then releases the Lease. */
  stop(): Promise<void>;
}

export const DEFAULT_STOP_TIMEOUT_MS = 5_000;

/** Starts the election and the jobs-while-leading loop; see the module comment. */
export function startLeaderJobs(opts: LeaderJobsOptions): LeaderJobs {
  const { logger } = opts;
  let leading = false;
  let stopping = false;
  let running: { name: string; job: RunningJob }[] = [];
  // Transitions run one after another, so a quick lose-and-regain never runs two copies
  // of a job: the old ones have finished stopping before the new ones start.
  let transitions: Promise<void> = Promise.resolve();
  const isLeader = () => leading && !stopping;

  const enqueue = (step: () => Promise<void>): Promise<void> => {
    transitions = transitions.then(step).catch((err: unknown) => {
      logger.error({ err: String(err) }, 'leader job transition failed');
    });
    return transitions;
  };

  const startJobs = async (): Promise<void> => {
    if (!isLeader() || running.length > 0) return;
    for (const j of opts.jobs) {
      try {
        running.push({ name: j.name, job: j.start({ isLeader }) });
        logger.info({ job: j.name }, 'leader job started');
      } catch (err) {
        logger.error({ job: j.name, err: String(err) }, 'leader job failed to start');
      }
    }
  };

  const stopJobs = async (): Promise<void> => {
    const jobs = running;
    running = [];
    await Promise.all(
      jobs.map(async ({ name, job }) => {
        try {
          await job.stop();
          logger.info({ job: name }, 'leader job stopped');
        } catch (err) {
          logger.error({ job: name, err: String(err) }, 'leader job failed to stop');
        }
      }),
    );
  };

  const elector = opts.elect({
    onStartedLeading: () => {
      leading = true;
      opts.onLeadingChange?.(true);
      void enqueue(startJobs);
    },
    onStoppedLeading: () => {
      leading = false;
      opts.onLeadingChange?.(false);
      void enqueue(stopJobs);
    },
  });

  let stopped: Promise<void> | undefined;
  return {
    isLeader,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        if (leading) opts.onLeadingChange?.(false);
        const timeoutMs = opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
        let timer: NodeJS.Timeout | undefined;
        const late = await Promise.race([
          enqueue(stopJobs).then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (late) logger.warn({ timeoutMs }, 'leader jobs still stopping; releasing the lease anyway');
        await elector.stop();
      })();
      return stopped;
    },
  };
}
