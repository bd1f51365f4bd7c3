import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ConfigError, SegmentsError } from '../errors.ts';
import { checkKey, type ObjectInfo, type ObjectStore } from './object-store.ts';
import { compareText } from '../compare.ts';

export type S3Operation = 'put' | 'get' | 'list' | 'delete';

/** An S3 call failed. Carries where (bucket, full S3 key or prefix) and what, plus S3's status and request id. */
export class S3StoreError extends SegmentsError {
  readonly exitCode = 1;
  constructor(
    readonly operation: S3Operation,
    readonly bucket: string,
    readonly key: string,
    cause: unknown,
  ) {
    const detail = awsErrorDetail(cause);
    super(
      `S3 ${operation} of s3://${bucket}/${key} failed: ${detail.name}${detail.message ? `: ${detail.message}` : ''}`,
      { operation, bucket, key, ...detail },
      { cause },
    );
  }
}

export interface S3ObjectStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** '' or a '/'-terminated folder inside the bucket; every key of this store lives under it. */
  readonly prefix?: string;
  /** Bodies larger than this go up as a multipart upload. S3 caps a single PUT at 5 GiB. */
  readonly multipartThreshold?: number;
  /** Size of each multipart part; S3's minimum is 5 MiB (except the last part). */
  readonly partSize?: number;
  /** MaxKeys per ListObjectsV2 page; S3 never returns more than 1000. */
  readonly listPageSize?: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_MULTIPART_THRESHOLD = 16 * MiB;
const DEFAULT_PART_SIZE = 8 * MiB;
/** Parts in flight per upload: 4 × 8 MiB keeps a Lambda's extra memory modest. */
const UPLOAD_CONCURRENCY = 4;

/**
 * An S3 bucket (or a folder of one) as an object store. A single PUT is atomic on S3 (readers see the old
 * object or the new one, never a mix), which is what `latest.json` being written last relies on; large bodies
 * use multipart, which S3 also only makes visible on completion.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #multipartThreshold: number;
  readonly #partSize: number;
  readonly #listPageSize: number;

  constructor(options: S3ObjectStoreOptions) {
    const prefix = options.prefix ?? '';
    const issues: { path: string; message: string }[] = [];
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      issues.push({ path: 'bucket', message: 'an S3 bucket name: 3–63 lower-case letters, digits, dots and hyphens' });
    }
    if (prefix !== '' && (!prefix.endsWith('/') || !isValidKey(prefix.slice(0, -1)))) {
      issues.push({ path: 'prefix', message: "'' or a relative key ending in '/'" });
    }
    if (issues.length > 0) {
      throw new ConfigError(`invalid S3 object store s3://${options.bucket}/${prefix}`, issues, { bucket: options.bucket, prefix });
    }
    this.#client = options.client;
    this.bucket = options.bucket;
    this.prefix = prefix;
    this.#multipartThreshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    this.#partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.#listPageSize = options.listPageSize ?? 1000;
  }

  get description(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  location(key: string): string {
    return `s3://${this.bucket}/${this.#s3Key(key)}`;
  }

  async put(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
    const s3Key = this.#s3Key(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const params = {
      Bucket: this.bucket,
      Key: s3Key,
      Body: bytes,
      ContentType: contentType || 'application/octet-stream',
      // Asked for explicitly so S3 verifies every write even when the client is configured WHEN_REQUIRED.
      ChecksumAlgorithm: 'CRC32' as const,
    };
    try {
      if (bytes.byteLength > this.#multipartThreshold) {
        // Upload aborts the multipart upload on failure, so no orphaned parts accrue storage charges.
        await new Upload({ client: this.#client, params, partSize: this.#partSize, queueSize: UPLOAD_CONCURRENCY }).done();
      } else {
        await this.#client.send(new PutObjectCommand(params));
      }
    } catch (error) {
      throw new S3StoreError('put', this.bucket, s3Key, error);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const s3Key = this.#s3Key(key);
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: s3Key }));
      if (!response.Body) throw new Error('GetObject returned no body');
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (isMissingKey(error)) return undefined;
      throw new S3StoreError('get', this.bucket, s3Key, error);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    // Like the local store, 'runs/x' and 'runs/x/' both mean the folder: never 'runs/x2/…'.
    const folder = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    const s3Prefix = folder === '' ? this.prefix : this.#s3Key(folder.slice(0, -1)) + '/';
    const infos: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: s3Prefix, MaxKeys: this.#listPageSize, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          // Zero-byte "folder" markers (made by the console) are not objects of this store.
          if (!object.Key || object.Key.endsWith('/')) continue;
          infos.push({ key: object.Key.slice(this.prefix.length), bytes: object.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw new S3StoreError('list', this.bucket, s3Prefix, error);
    }
    // S3 already orders by UTF-8 bytes; sorting by UTF-16 units here matches the local store exactly.
    return infos.sort((a, b) => compareText(a.key, b.key));
  }

  async delete(key: string): Promise<void> {
    const s3Key = this.#s3Key(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: s3Key }));
    } catch (error) {
      throw new S3StoreError('delete', this.bucket, s3Key, error);
    }
  }

  #s3Key(key: string): string {
    return this.prefix + checkKey(key);
  }
}

function isValidKey(key: string): boolean {
  try {
    checkKey(key);
    return true;
  } catch {
    return false;
  }
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** A missing key, as opposed to a missing bucket or a denied request (both must surface, not read as "absent"). */
function isMissingKey(error: unknown): boolean {
  const e = error as AwsErrorShape;
  return e?.name === 'NoSuchKey' || (e?.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket');
}

function awsErrorDetail(error: unknown): { name: string; message?: string; status?: number; request_id?: string } {
  const e = (error ?? {}) as AwsErrorShape;
  return {
    name: e.name ?? e.Code ?? 'Error',
    ...(e.message ? { message: e.message } : {}),
    ...(e.$metadata?.httpStatusCode !== undefined ? { status: e.$metadata.httpStatusCode } : {}),
    ...(e.$metadata?.requestId ? { request_id: e.$metadata.requestId } : {}),
  };
}
