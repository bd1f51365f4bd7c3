import os from 'node:os';
import * as z from 'zod';
import { RefreshAlreadyRunningError } from '../errors.ts';
import type { Logger } from '../logging.ts';
import { utf8 } from './object-store.ts';

/**
 * One refresh per output at a time. The holder of `<out>/_lease.json` may run; anyone else finds it there and stops
 * with RefreshAlreadyRunningError. A lease carries an expiry, so a holder that crashed (killed process, timed-out
 * Lambda) blocks the output only until then: the next refresh takes an expired lease over.
 *
 * The port is a single compare-and-swap object; adapters: a local file created with O_EXCL (lease-local.ts) and an
 * S3 object written with If-None-Match / If-Match (lease-s3.ts).
 */
export const LEASE_KEY = '_lease.json';

export const LeaseDocument = z.object({
  run_id: z.string(),
  holder: z.string(),
  /** Unique per acquisition: renew and release only touch a lease that is still this one. */
  token: z.string(),
  acquired_at: z.string(),
  expires_at: z.string(),
});
export type LeaseDocument = z.infer<typeof LeaseDocument>;

export interface StoredLease {
  /** The lease as written; undefined when the object exists but is not a lease document (then it counts as expired). */
  readonly lease: LeaseDocument | undefined;
  /** Opaque version (an ETag, or the content hash locally) for the conditional replace. */
  readonly version: string;
}

export interface LeaseStore {
  readonly description: string;
  /** Writes the lease only when there is none; false when one exists. */
  create(lease: LeaseDocument): Promise<boolean>;
  read(): Promise<StoredLease | undefined>;
  /** Replaces the lease only when it is still at `version`; false when it changed or vanished in between. */
  replace(lease: LeaseDocument, version: string): Promise<boolean>;
  /** Removes the lease when it is still at `version` (best effort where the backend has no conditional delete). */
  remove(version: string): Promise<void>;
}

export interface HeldLease {
  readonly lease: LeaseDocument;
  /** Whether an expired lease of another (crashed) holder was taken over. */
  readonly tookOver: LeaseDocument | undefined;
  /** Stops renewing and removes the lease if it is still ours. Never throws. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  readonly runId: string;
  readonly clock: () => Date;
  /** How long the lease holds without renewal. */
  readonly ttlMs: number;
  /** Renew every this many ms while held (default: never; set it when a run may outlive ttlMs). */
  readonly renewEveryMs?: number;
  readonly holder?: string;
  readonly log?: Logger;
}

export const DEFAULT_HOLDER = `${os.hostname()}:${process.pid}`;

/** Takes the output's lease or throws RefreshAlreadyRunningError naming the current holder. */
export async function acquireLease(store: LeaseStore, options: AcquireOptions): Promise<HeldLease> {
  const make = (): LeaseDocument => {
    const now = options.clock();
    return {
      run_id: options.runId,
      holder: options.holder ?? DEFAULT_HOLDER,
      token: `${options.runId}:${Math.random().toString(36).slice(2)}${now.getTime().toString(36)}`,
      acquired_at: now.toISOString(),
      expires_at: new Date(now.getTime() + options.ttlMs).toISOString(),
    };
  };
  let lease = make();
  let tookOver: LeaseDocument | undefined;
  if (!(await store.create(lease))) {
    const current = await store.read();
    if (current === undefined) {
      // Released between our create and read: one more exclusive create decides.
      if (!(await store.create(lease))) throw busy(store, undefined, options.runId);
    } else if (current.lease?.token === lease.token) {
      // Our own create took effect but its response was lost and the SDK's retry saw the lease: it is ours.
    } else {
      const expired = current.lease === undefined || Date.parse(current.lease.expires_at) <= options.clock().getTime();
      if (!expired) throw busy(store, current.lease, options.runId);
      lease = make();
      if (!(await store.replace(lease, current.version))) throw busy(store, undefined, options.runId);
      tookOver = current.lease;
      options.log?.log('warn', current.lease ? 'took over an expired refresh lease' : 'took over a refresh lease that does not parse', { previous: current.lease ?? 'unreadable', lease: store.description });
    }
  }

  let held = true;
  let version: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const versionNow = async () => {
    const now = await store.read();
    return now && now.lease?.token === lease.token ? now.version : undefined;
  };
  if (options.renewEveryMs !== undefined) {
    timer = setInterval(() => {
      void (async () => {
        if (!held) return;
        version = await versionNow();
        if (version === undefined) {
          options.log?.log('error', 'refresh lease was lost (taken over by another refresh); it is no longer renewed', { lease: store.description });
          held = false;
          return;
        }
        const renewed = { ...lease, expires_at: new Date(options.clock().getTime() + options.ttlMs).toISOString() };
        if (await store.replace(renewed, version)) lease = renewed;
      })().catch((error: unknown) => options.log?.log('warn', 'could not renew the refresh lease', { error: String(error) }));
    }, options.renewEveryMs);
    timer.unref();
  }
  return {
    get lease() {
      return lease;
    },
    tookOver,
    async release() {
      if (timer) clearInterval(timer);
      held = false;
      try {
        const current = await versionNow();
        if (current !== undefined) await store.remove(current);
      } catch (error) {
        // The lease then expires on its own; the next refresh takes it over.
        options.log?.log('warn', 'could not release the refresh lease; it expires on its own', { error: String(error), expires_at: lease.expires_at });
      }
    },
  };
}

function busy(store: LeaseStore, current: LeaseDocument | undefined, runId: string): RefreshAlreadyRunningError {
  const who = current ? `run ${current.run_id} (holder ${current.holder}, lease expires ${current.expires_at})` : 'another refresh';
  return new RefreshAlreadyRunningError(`refresh already running for ${store.description}: ${who}; run ${runId} did not start`, {
    lease: store.description,
    run_id: runId,
    ...(current ? { holder: current.holder, holder_run_id: current.run_id, expires_at: current.expires_at } : {}),
  });
}

export function parseLease(bytes: Uint8Array): LeaseDocument | undefined {
  try {
    const parsed = LeaseDocument.safeParse(JSON.parse(utf8(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function leaseBody(lease: LeaseDocument): string {
  return `${JSON.stringify(lease, null, 2)}\n`;
}
