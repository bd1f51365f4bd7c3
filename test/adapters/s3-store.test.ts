import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, SegmentsError } from '../../shared/errors.ts';
import { InvalidKeyError, getJson, putJson } from '../../shared/stores/object-store.ts';
import { S3ObjectStore, S3StoreError, type S3ObjectStoreOptions } from '../../shared/stores/s3.ts';
import { recordRequests, startS3Server, type S3TestServer } from '../helpers/s3-server.ts';

/** The S3 adapter against a real S3-compatible server (s3rver), not a mocked client. */
const BUCKET = 'store-test';
let server: S3TestServer;
let client: S3Client;
let cases = 0;

beforeAll(async () => {
  server = await startS3Server([BUCKET]);
  client = server.client();
});

afterAll(async () => {
  await server?.close();
});

/** Each test gets its own folder of the bucket, so tests cannot see each other's objects. */
function freshStore(options: Partial<S3ObjectStoreOptions> = {}): S3ObjectStore {
  return new S3ObjectStore({ client, bucket: BUCKET, prefix: `case-${++cases}/`, ...options });
}

async function rawPut(key: string, body = 'x'): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function contentTypeOf(s3Key: string): Promise<string | undefined> {
  return (await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: s3Key }))).ContentType;
}

/** Deterministic bytes that are not one repeated value, so a misplaced or dropped part would show. */
function patterned(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

describe('S3ObjectStore', () => {
  it('round-trips text and bytes and keeps each content type', async () => {
    const store = freshStore();
    await putJson(store, 'runs/r1/segments.json', { customers: 3, name: 'Zoë' });
    const parquet = patterned(4_096);
    await store.put('runs/r1/part-00000.parquet', parquet, 'application/vnd.apache.parquet');

    expect(await getJson(store, 'runs/r1/segments.json')).toEqual({ customers: 3, name: 'Zoë' });
    expect(Buffer.from((await store.get('runs/r1/part-00000.parquet'))!).equals(parquet)).toBe(true);
    expect(await contentTypeOf(`${store.prefix}runs/r1/segments.json`)).toBe('application/json');
    expect(await contentTypeOf(`${store.prefix}runs/r1/part-00000.parquet`)).toBe('application/vnd.apache.parquet');
  });

  it('overwrites an existing key', async () => {
    const store = freshStore();
    await store.put('latest.json', 'old', 'application/json');
    await store.put('latest.json', 'new', 'application/json');
    expect(Buffer.from((await store.get('latest.json'))!).toString()).toBe('new');
  });

  it('reads a missing key as undefined but a missing bucket as an error', async () => {
    const store = freshStore();
    expect(await store.get('runs/none/segments.json')).toBeUndefined();

    const noBucket = new S3ObjectStore({ client, bucket: 'no-such-bucket', prefix: 'p/' });
    const error = await noBucket.get('latest.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3StoreError);
    expect(error).toBeInstanceOf(SegmentsError);
    expect(error).toMatchObject({ operation: 'get', bucket: 'no-such-bucket', key: 'p/latest.json' });
    expect((error as S3StoreError).context).toMatchObject({ name: 'NoSuchBucket', status: 404 });
    expect((error as Error).message).toContain('s3://no-such-bucket/p/latest.json');
  });

  it('wraps write and list failures with the operation, bucket and key', async () => {
    const noBucket = new S3ObjectStore({ client, bucket: 'no-such-bucket' });
    await expect(noBucket.put('runs/r/a.json', '{}', 'application/json')).rejects.toMatchObject({
      name: 'S3StoreError',
      operation: 'put',
      bucket: 'no-such-bucket',
      key: 'runs/r/a.json',
    });
    await expect(noBucket.list('runs/')).rejects.toMatchObject({ operation: 'list', key: 'runs/' });
  });

  it('follows continuation tokens until the listing is complete', async () => {
    const paged = server.client();
    const requests = recordRequests(paged);
    const store = freshStore({ client: paged, listPageSize: 7 });
    const keys = Array.from({ length: 25 }, (_, i) => `runs/r/part-${String(i).padStart(5, '0')}.parquet`);
    await Promise.all(keys.map((key) => store.put(key, 'p', 'application/vnd.apache.parquet')));
    requests.length = 0;

    const listed = await store.list('runs/r');
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(requests.filter((r) => r.command === 'ListObjectsV2Command')).toHaveLength(4);
  });

  it('lists past S3’s 1000-keys-per-response limit', async () => {
    const watched = server.client();
    const requests = recordRequests(watched);
    const store = freshStore({ client: watched });
    const keys = Array.from({ length: 1_001 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    // A bounded number in flight: flooding s3rver only queues requests on its disk writes.
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((key) => rawPut(`${store.prefix}${key}`)));
    }
    const listed = await store.list('many/');
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(requests.filter((r) => r.command === 'ListObjectsV2Command')).toHaveLength(2);
  });

  it('treats a prefix as a folder, with or without its trailing slash', async () => {
    const store = freshStore();
    const bodies: Record<string, string> = {
      'runs/x/a.json': '{"a":1}',
      'runs/x/sub/b.json': '{"b":22}',
      'runs/x2/c.json': '{}',
      'runs/xa': 'not in runs/x',
      'top.json': '[]',
    };
    for (const [key, body] of Object.entries(bodies)) await store.put(key, body, 'application/json');

    const folder = [
      { key: 'runs/x/a.json', bytes: 7 },
      { key: 'runs/x/sub/b.json', bytes: 8 },
    ];
    expect(await store.list('runs/x')).toEqual(folder);
    expect(await store.list('runs/x/')).toEqual(folder);
    expect((await store.list('')).map((o) => o.key)).toEqual(Object.keys(bodies).sort());
    expect(await store.list('runs/none')).toEqual([]);
  });

  it('deletes a key, and deleting a missing key is not an error', async () => {
    const store = freshStore();
    await store.put('runs/r/_FAILED.json', '{}', 'application/json');
    await store.put('runs/r/keep.json', '{}', 'application/json');
    await store.delete('runs/r/_FAILED.json');
    expect(await store.get('runs/r/_FAILED.json')).toBeUndefined();
    expect((await store.list('runs/r')).map((o) => o.key)).toEqual(['runs/r/keep.json']);
    await expect(store.delete('runs/r/_FAILED.json')).resolves.toBeUndefined();
  });

  it('never sees keys outside its prefix', async () => {
    const tenant = freshStore();
    const base = tenant.prefix;
    // A sibling whose name starts with the same characters must not leak in.
    const sibling = new S3ObjectStore({ client, bucket: BUCKET, prefix: `${base.slice(0, -1)}-sibling/` });
    await tenant.put('latest.json', '"tenant"', 'application/json');
    await sibling.put('latest.json', '"sibling"', 'application/json');
    await sibling.put('runs/r/a.json', '{}', 'application/json');
    await rawPut(`${base.slice(0, -1)}`);
    await rawPut('outside.json');

    expect(await tenant.list('')).toEqual([{ key: 'latest.json', bytes: 8 }]);
    expect(await getJson(tenant, 'latest.json')).toBe('tenant');
    expect(await tenant.get('outside.json')).toBeUndefined();
    expect((await sibling.list('')).map((o) => o.key)).toEqual(['latest.json', 'runs/r/a.json']);

    // Without a prefix the store is the whole bucket, keys in full.
    const whole = new S3ObjectStore({ client, bucket: BUCKET });
    const keys = (await whole.list('')).map((o) => o.key);
    expect(keys).toEqual(expect.arrayContaining([`${base}latest.json`, 'outside.json']));
  });

  it('names locations as s3:// URLs under the prefix', () => {
    const store = new S3ObjectStore({ client, bucket: 'segments-prod', prefix: 'jobs/nightly/' });
    expect(store.description).toBe('s3://segments-prod/jobs/nightly/');
    expect(store.location('runs/r1/customer_segments/')).toBe('s3://segments-prod/jobs/nightly/runs/r1/customer_segments/');
    const bare = new S3ObjectStore({ client, bucket: 'segments-prod' });
    expect(bare.description).toBe('s3://segments-prod/');
    expect(bare.location('latest.json')).toBe('s3://segments-prod/latest.json');
  });

  it('uploads a body above the threshold in parts and reads it back byte for byte', async () => {
    const multipart = server.client();
    const requests = recordRequests(multipart);
    const store = freshStore({ client: multipart, multipartThreshold: 1024 * 1024, partSize: 5 * 1024 * 1024 });
    const body = patterned(11 * 1024 * 1024 + 123);

    await store.put('runs/r/customer_segments/part-00000.parquet', body, 'application/vnd.apache.parquet');
    expect(requests.map((r) => r.command)).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
    ]);
    const back = await store.get('runs/r/customer_segments/part-00000.parquet');
    expect(back?.byteLength).toBe(body.byteLength);
    expect(Buffer.from(back!).equals(body)).toBe(true);
    expect(await store.list('runs/r/customer_segments')).toEqual([{ key: 'runs/r/customer_segments/part-00000.parquet', bytes: body.byteLength }]);
    expect(await contentTypeOf(`${store.prefix}runs/r/customer_segments/part-00000.parquet`)).toBe('application/vnd.apache.parquet');

    requests.length = 0;
    await store.put('small.json', '{}', 'application/json');
    expect(requests.map((r) => r.command)).toEqual(['PutObjectCommand']);
  });

  it('sends a CRC32 checksum with every write even when the client only adds them when required', async () => {
    const lax = server.client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    const requests = recordRequests(lax);
    const store = freshStore({ client: lax, multipartThreshold: 1024 * 1024, partSize: 5 * 1024 * 1024 });
    await store.put('a.json', '{}', 'application/json');
    await store.put('big.bin', patterned(6 * 1024 * 1024), 'application/octet-stream');

    const writes = requests.filter((r) => r.command === 'PutObjectCommand' || r.command === 'UploadPartCommand');
    expect(writes.map((r) => r.command)).toEqual(['PutObjectCommand', 'UploadPartCommand', 'UploadPartCommand']);
    for (const write of writes) expect(write.headers['x-amz-checksum-crc32']).toMatch(/^[A-Za-z0-9+/]{6}==$/);
  });

  it('rejects invalid keys before calling S3', async () => {
    const watched = server.client();
    const requests = recordRequests(watched);
    const store = freshStore({ client: watched });
    await expect(store.put('/abs.json', '{}', 'application/json')).rejects.toThrow(InvalidKeyError);
    await expect(store.get('runs/../latest.json')).rejects.toThrow(InvalidKeyError);
    await expect(store.delete('')).rejects.toThrow(InvalidKeyError);
    await expect(store.list('../')).rejects.toThrow(InvalidKeyError);
    expect(() => store.location('a\\b')).toThrow(InvalidKeyError);
    expect(requests).toEqual([]);
  });

  it('rejects a malformed bucket or prefix when constructed', () => {
    for (const prefix of ['no-slash', '/abs/', '../', 'a/./']) {
      expect(() => new S3ObjectStore({ client, bucket: BUCKET, prefix })).toThrow(ConfigError);
    }
    expect(() => new S3ObjectStore({ client, bucket: 'Bad_Bucket' })).toThrow(ConfigError);
    expect(() => new S3ObjectStore({ client, bucket: 's3://segments' })).toThrow(ConfigError);
  });
});
