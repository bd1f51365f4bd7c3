import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** The slice of s3rver 3.7 this helper uses; it ships no type declarations. */
interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
  resetOnClose: boolean;
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: S3rverOptions) => S3rverInstance;

const require = createRequire(import.meta.url);
// s3rver is CommonJS without types; requiring it keeps tsc strict without an ambient declaration file.
const S3rver = require('s3rver') as S3rverClass;

/** s3rver's hard-coded account: any other access key is rejected with InvalidAccessKeyId. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3TestServer {
  readonly endpoint: string;
  /** A new client for this server, destroyed by close(); `config` may tune anything but where and who. */
  client(config?: Omit<S3ClientConfig, 'endpoint' | 'region' | 'credentials' | 'forcePathStyle'>): S3Client;
  close(): Promise<void>;
}

/**
 * An S3-compatible server in this process, on a random loopback port, storing objects in a fresh temp folder.
 * Nothing leaves the machine: clients get an explicit loopback endpoint, region and credentials, so the SDK never
 * resolves credentials or a region from the environment, ~/.aws or the instance metadata service.
 */
export async function startS3Server(buckets: readonly string[]): Promise<S3TestServer> {
  routeSingleDesToTripleDes();
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
    resetOnClose: false,
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    client(config = {}) {
      const client = new S3Client({
        // A broken server should fail a test at once, not after retries with back-off.
        maxAttempts: 1,
        // A fresh connection per request. s3rver's Node server closes a kept-alive socket after 5 idle seconds, and a
        // request written on it as it closes fails with ECONNRESET; production clients retry that (S3_CLIENT_OPTIONS),
        // one attempt cannot, so a pause between two tests sharing a client made them fail now and then.
        requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
        // Pinned so a developer's AWS_* variables or ~/.aws/config cannot change what the tests exercise.
        useFipsEndpoint: false,
        useDualstackEndpoint: false,
        requestChecksumCalculation: 'WHEN_SUPPORTED',
        responseChecksumValidation: 'WHEN_SUPPORTED',
        ...config,
        endpoint,
        region: 'us-east-1',
        credentials: CREDENTIALS,
        // s3rver serves buckets by path only (virtual hosts would need DNS for <bucket>.127.0.0.1).
        forcePathStyle: true,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface RecordedRequest {
  readonly command: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Records each request the client sends (every attempt, after signing): which S3 calls an adapter made, and how. */
export function recordRequests(client: S3Client): RecordedRequest[] {
  const requests: RecordedRequest[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { method?: string; headers?: Record<string, string> };
      requests.push({ command: context.commandName ?? '?', method: request.method ?? '?', headers: { ...request.headers } });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recordRequestsForTests' },
  );
  return requests;
}

type CipherFactory = (algorithm: string, key: Buffer, iv: Buffer | null, options?: unknown) => unknown;
let desRouted = false;

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES (`createCipheriv('des', …)`), which OpenSSL 3
 * (Node ≥ 17) only offers through its legacy provider: every truncated listing fails with a 500. Triple DES with
 * the 8-byte key repeated three times computes exactly single DES and is in the default provider, so 'des' is
 * routed to it. Only the exact name 'des' is touched; nothing else in the test process uses it.
 */
function routeSingleDesToTripleDes(): void {
  if (desRouted) return;
  desRouted = true;
  // The CommonJS module object: the one s3rver's require('crypto') sees (ESM named imports are unaffected).
  const crypto = require('node:crypto') as Record<'createCipheriv' | 'createDecipheriv', CipherFactory>;
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return; // a legacy provider is loaded (e.g. --openssl-legacy-provider): nothing to do
  } catch {
    // fall through
  }
  for (const name of ['createCipheriv', 'createDecipheriv'] as const) {
    const original = crypto[name];
    crypto[name] = (algorithm, key, iv, options) =>
      algorithm === 'des' ? original('des-ede3-cbc', Buffer.concat([key, key, key]), iv, options) : original(algorithm, key, iv, options);
  }
}

/**
 * s3rver 3.7 ignores If-None-Match and If-Match on PutObject (its object controller only honours If-None-Match on
 * GET; see node_modules/s3rver/lib/controllers/object.js), so conditional writes cannot be tested against it as is.
 * This shim gives a client S3's semantics for them: conditional PutObject/DeleteObject calls are serialised (per
 * client, in this process) and checked against HeadObject first, failing like S3 with 412 PreconditionFailed.
 * Everything else, and the write itself, goes to s3rver unchanged. TEST-ONLY: it proves the adapter's logic, not S3's.
 */
export function shimConditionalWrites(client: S3Client, head: S3Client): void {
  let chain: Promise<unknown> = Promise.resolve();
  const precondition = () =>
    Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string; IfNoneMatch?: string; IfMatch?: string };
      const conditional = (context.commandName === 'PutObjectCommand' || context.commandName === 'DeleteObjectCommand') && (input.IfNoneMatch || input.IfMatch);
      if (!conditional) return next(args);
      const turn = chain.then(async () => {
        const current = await head.send(new HeadObjectCommand({ Bucket: input.Bucket, Key: input.Key })).catch((error: { $metadata?: { httpStatusCode?: number } }) => {
          if (error.$metadata?.httpStatusCode === 404) return undefined;
          throw error;
        });
        if (input.IfNoneMatch === '*' && current) throw precondition();
        if (input.IfMatch && current?.ETag !== input.IfMatch) throw precondition();
        return next(args);
      });
      chain = turn.catch(() => {});
      return turn;
    },
    { step: 'initialize', name: 'conditionalWritesShimForTests' },
  );
}
