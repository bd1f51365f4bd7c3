import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LatestPointer, ManifestDocument } from '../../shared/contracts/outputs.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { LATEST_KEY, type RefreshResult } from '../../shared/pipeline/refresh.ts';
import { getJson, type ObjectInfo, type ObjectStore } from '../../shared/stores/object-store.ts';
import { S3ObjectStore } from '../../shared/stores/s3.ts';
import { refreshOnDuckDb, tempDir } from '../helpers/duckdb.ts';
import { readParquetRows } from '../helpers/outputs.ts';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts';

/** The whole refresh publishing to S3 (s3rver): what readers of latest.json get, and what a failed run leaves. */
const AS_OF = '2026-03-31';
const BUCKET = 'segments-e2e';
const PREFIX = 'jobs/nightly/';

let lake: string;
let server: S3TestServer;
let client: S3Client;
let s3: S3ObjectStore;
/** The run every test starts from: published by beforeAll, and no later failure may unpublish it. */
let good: RefreshResult;
let goodPuts: RecordedPut[];
let goodLatest: Uint8Array;
let goodObjects: ObjectInfo[];

interface RecordedPut {
  readonly key: string;
  readonly contentType: string;
}

interface Faults {
  store?: (key: string) => boolean;
  engine?: (step: string) => boolean;
}

/** The store as the pipeline sees it: every put recorded in order, optionally failing on chosen keys. */
function instrumented(inner: ObjectStore, puts: RecordedPut[], fail?: (key: string) => boolean): ObjectStore {
  return {
    async put(key, body, contentType) {
      if (fail?.(key)) throw new Error(`simulated write failure on ${key}`);
      await inner.put(key, body, contentType);
      puts.push({ key, contentType });
    },
    get: (key) => inner.get(key),
    list: (prefix) => inner.list(prefix),
    delete: (key) => inner.delete(key),
    location: (key) => inner.location(key),
    get description() {
      return inner.description;
    },
  };
}

/** One refresh over the lake into the S3 store; `puts` receives the keys it wrote, in order. */
async function refresh(puts: RecordedPut[], faults: Faults = {}): Promise<RefreshResult> {
  return refreshOnDuckDb(lake, instrumented(s3, puts, faults.store), AS_OF, faults.engine);
}

async function rawGet(key: string): Promise<Uint8Array> {
  const response = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return response.Body!.transformToByteArray();
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

beforeAll(async () => {
  lake = path.join(await tempDir('s3-e2e-lake'), 'lake');
  await generateLake({ customers: 2_000, seed: 11, out: lake, asOf: AS_OF });
  server = await startS3Server([BUCKET]);
  client = server.client();
  s3 = new S3ObjectStore({ client, bucket: BUCKET, prefix: PREFIX });

  goodPuts = [];
  good = await refresh(goodPuts);
  goodLatest = await rawGet(`${PREFIX}${LATEST_KEY}`);
  goodObjects = await s3.list(good.prefix);
});

afterAll(async () => {
  await server?.close();
});

describe('refresh publishing to S3', () => {
  it('writes the whole run under runs/<run_id>/ in the store’s folder of the bucket', async () => {
    const names = goodObjects.map((o) => o.key.slice(good.prefix.length));
    expect(names).toEqual(expect.arrayContaining(['segments.json', 'personas.json', 'quality.json', 'manifest.json']));
    expect(names.filter((n) => /^customer_segments\/[^/]+\.parquet$/.test(n)).length).toBeGreaterThan(0);
    expect(names).not.toContain('_FAILED.json');

    // Nothing lands outside the store's prefix, and only latest.json outside the run's folder.
    const raw = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const rawKeys = (raw.Contents ?? []).map((o) => o.Key!);
    expect(rawKeys.every((k) => k.startsWith(PREFIX))).toBe(true);
    expect(rawKeys.filter((k) => !k.startsWith(`${PREFIX}${good.prefix}`))).toEqual([`${PREFIX}${LATEST_KEY}`]);
  });

  it('writes latest.json last, once, pointing at the run and its manifest', async () => {
    expect(goodPuts.at(-1)?.key).toBe(LATEST_KEY);
    expect(goodPuts.filter((p) => p.key === LATEST_KEY)).toHaveLength(1);
    expect(goodPuts.at(-2)?.key).toBe(`${good.prefix}manifest.json`);

    const latest = JSON.parse(Buffer.from(goodLatest).toString('utf8')) as LatestPointer;
    expect(latest).toMatchObject({ run_id: good.runId, as_of: AS_OF, prefix: good.prefix, manifest: `${good.prefix}manifest.json` });
  });

  it('stores JSON as application/json and Parquet as application/vnd.apache.parquet', async () => {
    const expectedTypes: Record<string, string> = { '.json': 'application/json', '.parquet': 'application/vnd.apache.parquet' };
    const checked = [...goodObjects, { key: LATEST_KEY, bytes: goodLatest.byteLength }].filter((o) => expectedTypes[path.extname(o.key)]);
    expect(checked.length).toBeGreaterThanOrEqual(6);
    for (const object of checked) {
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${object.key}` }));
      expect({ key: object.key, type: head.ContentType }).toEqual({ key: object.key, type: expectedTypes[path.extname(object.key)] });
    }
  });

  it('publishes a manifest that matches the objects byte for byte, and Parquet DuckDB can read', async () => {
    const manifest = (await getJson<ManifestDocument>(s3, `${good.prefix}manifest.json`))!;
    const listed = goodObjects.filter((o) => o.key !== `${good.prefix}manifest.json`);
    expect(manifest.files.map((f) => ({ key: f.key, bytes: f.bytes }))).toEqual(listed);
    for (const file of manifest.files.filter((f) => f.sha256)) {
      expect(sha256((await s3.get(file.key))!)).toBe(file.sha256);
    }

    const part = goodObjects.find((o) => o.key.startsWith(`${good.prefix}customer_segments/`))!;
    const local = path.join(await tempDir('s3-e2e-part'), 'part.parquet');
    await writeFile(local, (await s3.get(part.key))!);
    const rows = await readParquetRows(local);
    expect(rows).toHaveLength(good.segments.customers);
    expect(new Set(rows.map((r) => r.run_id))).toEqual(new Set([good.runId]));
  });

  it.each<[string, Faults]>([
    ['writing personas.json fails', { store: (key) => key.endsWith('/personas.json') }],
    ['a query in the summaries step fails', { engine: (step) => step === 'median recency' }],
  ])('keeps the previous run published when %s', async (_name, faults) => {
    const puts: RecordedPut[] = [];
    await expect(refresh(puts, faults)).rejects.toThrow(/simulated/);

    // Readers still get exactly the old pointer, and everything it points at.
    expect(Buffer.from(await rawGet(`${PREFIX}${LATEST_KEY}`)).equals(Buffer.from(goodLatest))).toBe(true);
    expect(puts.some((p) => p.key === LATEST_KEY)).toBe(false);
    const latest = (await getJson<LatestPointer>(s3, LATEST_KEY))!;
    expect(latest.run_id).toBe(good.runId);
    expect(await s3.list(good.prefix)).toEqual(goodObjects);
    expect(await getJson(s3, latest.manifest)).toBeDefined();

    // The failed run is marked for operators, never complete, and not what latest.json names.
    const marker = puts.find((p) => p.key.endsWith('/_FAILED.json'));
    expect(marker).toBeDefined();
    const failedPrefix = marker!.key.slice(0, -'_FAILED.json'.length);
    expect(failedPrefix).not.toBe(good.prefix);
    expect(latest.prefix).not.toBe(failedPrefix);
    const failedNames = (await s3.list(failedPrefix)).map((o) => o.key.slice(failedPrefix.length));
    expect(failedNames).toContain('_FAILED.json');
    expect(failedNames).not.toContain('manifest.json');
    expect(failedNames).not.toContain('personas.json');
  });
});
