import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RefreshEnvironment } from '../../shared/contracts/lambda.ts';
import type { LatestPointer } from '../../shared/contracts/outputs.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { RefreshAlreadyRunningError } from '../../shared/errors.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { silentLogger } from '../../shared/logging.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { runNightlyRefresh, type NightlyRuntime } from '../../shared/pipeline/nightly.ts';
import { LEASE_KEY, acquireLease, leaseBody, type LeaseStore } from '../../shared/stores/lease.ts';
import { LocalLeaseStore } from '../../shared/stores/lease-local.ts';
import { S3LeaseStore } from '../../shared/stores/lease-s3.ts';
import { getJson } from '../../shared/stores/object-store.ts';
import { S3ObjectStore } from '../../shared/stores/s3.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { readJson } from '../helpers/outputs.ts';
import { shimConditionalWrites, startS3Server, type S3TestServer } from '../helpers/s3-server.ts';

/**
 * One refresh per output: the lease (`_lease.json`) lets exactly one of two refreshes started together run; the other
 * stops with RefreshAlreadyRunningError (CLI exit 5). A crashed holder's lease expires and is taken over.
 */
const AS_OF = '2026-03-31';
const NOW = new Date('2026-04-01T01:30:00Z');
let lake: string;
let server: S3TestServer;
let shimmed: S3Client;

beforeAll(async () => {
  lake = path.join(await tempDir('lease-lake'), 'lake');
  await generateLake({ customers: 800, seed: 21, out: lake, asOf: AS_OF });
  server = await startS3Server(['results']);
  shimmed = server.client();
  shimConditionalWrites(shimmed, server.client());
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const stores: [string, () => Promise<LeaseStore>][] = [
  ['local folder', async () => new LocalLeaseStore(await tempDir('lease'))],
  ['S3 (s3rver + conditional-write shim)', async () => new S3LeaseStore({ client: shimmed, bucket: 'results', prefix: `p${Math.random().toString(36).slice(2)}/` })],
];

describe.each(stores)('the refresh lease on %s', (_name, make) => {
  it('lets exactly one of 20 refreshes started at once hold it; the others are told it is running', async () => {
    const store = await make();
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => acquireLease(store, { runId: `run-${i}`, clock: () => NOW, ttlMs: 60_000 })),
    );
    const held = attempts.filter((a) => a.status === 'fulfilled');
    expect(held).toHaveLength(1);
    for (const a of attempts) if (a.status === 'rejected') expect(a.reason).toBeInstanceOf(RefreshAlreadyRunningError);
    const rejected = attempts.find((a): a is PromiseRejectedResult => a.status === 'rejected')!;
    expect(String(rejected.reason.message)).toMatch(/refresh already running/);
    // Released, it is free again.
    await (held[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLease>>>).value.release();
    expect(await store.read()).toBeUndefined();
    const again = await acquireLease(store, { runId: 'next', clock: () => NOW, ttlMs: 60_000 });
    await again.release();
  });

  it('is taken over by exactly one of 10 refreshes once its holder crashed and it expired, and not before', async () => {
    const store = await make();
    await acquireLease(store, { runId: 'crashed', clock: () => NOW, ttlMs: 60_000 }); // never released
    const early = new Date(NOW.getTime() + 59_000);
    await expect(acquireLease(store, { runId: 'early', clock: () => early, ttlMs: 60_000 })).rejects.toThrow(RefreshAlreadyRunningError);
    const later = new Date(NOW.getTime() + 61_000);
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => acquireLease(store, { runId: `next-${i}`, clock: () => later, ttlMs: 60_000 })));
    const held = attempts.filter((a): a is PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLease>>> => a.status === 'fulfilled');
    expect(held).toHaveLength(1);
    expect(held[0]!.value.tookOver?.run_id).toBe('crashed');
    expect((await store.read())?.lease?.run_id).toBe(held[0]!.value.lease.run_id);
    await held[0]!.value.release();
  });

  it('renews a held lease so a long run is not taken over', async () => {
    const store = await make();
    let now = NOW.getTime();
    const clock = () => new Date(now);
    const lease = await acquireLease(store, { runId: 'long', clock, ttlMs: 60_000, renewEveryMs: 20 });
    now += 50_000;
    // Waits for a renewal at the new time instead of sleeping a fixed while, which a loaded machine can outlast.
    await vi.waitFor(async () => expect(Date.parse((await store.read())?.lease?.expires_at ?? '')).toBe(now + 60_000), { timeout: 10_000, interval: 20 });
    now += 50_000; // 100 s after acquiring: expired without renewal
    await expect(acquireLease(store, { runId: 'other', clock, ttlMs: 60_000 })).rejects.toThrow(RefreshAlreadyRunningError);
    await lease.release();
  });
});

describe('the lease in the compositions', () => {
  it('refreshLocal: of two refreshes started at once for one folder, one publishes, the other is refused; the lease is released', async () => {
    const out = await tempDir('lease-local-out');
    const runs = await Promise.allSettled([0, 1].map(() => refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF, threads: 1 })));
    const ok = runs.filter((r) => r.status === 'fulfilled');
    const refused = runs.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(RefreshAlreadyRunningError);
    const latest = await readJson<LatestPointer>(path.join(out, 'latest.json'));
    expect(latest.run_id).toBe((ok[0] as PromiseFulfilledResult<{ runId: string }>).value.runId);
    expect(existsSync(path.join(out, LEASE_KEY))).toBe(false);
  }, 120_000);

  it('refreshLocal releases the lease when the run fails, and takes over an expired one left by a crash', async () => {
    const out = await tempDir('lease-fail-out');
    await expect(refreshLocal({ lakeDir: path.join(out, 'no-lake'), outDir: out, asOf: AS_OF })).rejects.toThrow();
    expect(existsSync(path.join(out, LEASE_KEY))).toBe(false);
    const stale = { run_id: 'crashed', holder: 'gone:1', token: 't', acquired_at: '2026-03-30T01:30:00.000Z', expires_at: '2026-03-30T01:40:00.000Z' };
    await writeFile(path.join(out, LEASE_KEY), leaseBody(stale));
    const result = await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF, threads: 2 });
    expect((await readJson<LatestPointer>(path.join(out, 'latest.json'))).run_id).toBe(result.runId);
    expect(existsSync(path.join(out, LEASE_KEY))).toBe(false);
  }, 120_000);

  it('CLI: a refresh into a folder whose lease is held exits 5 with "refresh already running"', async () => {
    const out = await tempDir('lease-cli-out');
    await mkdir(path.join(out, 'lake', 'orders'), { recursive: true });
    const live = { run_id: 'other', holder: 'elsewhere:1', token: 't', acquired_at: new Date().toISOString(), expires_at: new Date(Date.now() + 3_600_000).toISOString() };
    await writeFile(path.join(out, LEASE_KEY), leaseBody(live));
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.resolve('shared/cli/main.ts'), 'refresh', '--lake', path.join(out, 'lake'), '--out', out], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status).toBe(5);
    expect(result.stderr).toContain('refresh already running');
    expect(result.stderr).toContain('elsewhere:1');
  }, 120_000);

  it('runNightlyRefresh (S3 lease): of two invocations at once, one publishes and the other fails with RefreshAlreadyRunningError', async () => {
    const env = { RESULTS_BUCKET: 'results', RESULTS_PREFIX: 'nightly/', DEADLINE_MARGIN_SECONDS: 60, SCHEDULE_TIME_ZONE: 'UTC' } as unknown as RefreshEnvironment;
    const results = new S3ObjectStore({ client: shimmed, bucket: 'results', prefix: 'nightly/' });
    const runtime = (holder: string): NightlyRuntime => ({
      results,
      lease: new S3LeaseStore({ client: shimmed, bucket: 'results', prefix: 'nightly/' }),
      holder,
      clock: () => new Date(),
      log: silentLogger,
      toolVersion: 'test',
      readConfig: async () => undefined,
      engineFor: async () => DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 }),
    });
    const outcomes = await Promise.allSettled(['a', 'b'].map((h) => runNightlyRefresh(env, { asOf: AS_OF }, runtime(h), () => 600_000)));
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(ok, refused.map((r) => String(r.reason?.stack ?? r.reason)).join('\n')).toHaveLength(1);
    expect(refused[0]?.reason).toBeInstanceOf(RefreshAlreadyRunningError);
    expect((await getJson<LatestPointer>(results, 'latest.json'))?.run_id).toBe((ok[0] as PromiseFulfilledResult<{ run_id: string }>).value.run_id);
    expect(await results.get(LEASE_KEY)).toBeUndefined();
  }, 120_000);

  it('s3rver itself does not honour If-None-Match on PutObject (why the S3 lease tests use the shim)', async () => {
    const raw = server.client();
    const put = () => raw.send(new PutObjectCommand({ Bucket: 'results', Key: 'probe/if-none-match', Body: 'x', IfNoneMatch: '*' }));
    await put();
    await expect(put()).resolves.toBeDefined(); // real S3 answers 412 PreconditionFailed here
  });
});
