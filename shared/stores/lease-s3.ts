import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LEASE_KEY, leaseBody, parseLease, type LeaseDocument, type LeaseStore, type StoredLease } from './lease.ts';
import { S3StoreError } from './s3.ts';

/**
 * The lease as an S3 object next to latest.json, using S3's conditional writes (2024): PutObject with
 * `If-None-Match: *` creates it only when absent, and `If-Match: <etag>` replaces (renews, or takes over when
 * expired) only the version that was read. S3 answers 412 PreconditionFailed (or 409 ConditionalRequestConflict
 * when two conditional writes race) to the loser. Release is a DeleteObject with If-Match.
 */
export class S3LeaseStore implements LeaseStore {
  readonly #client: S3Client;
  readonly bucket: string;
  readonly key: string;

  constructor(options: { client: S3Client; bucket: string; prefix?: string; key?: string }) {
    this.#client = options.client;
    this.bucket = options.bucket;
    this.key = `${options.prefix ?? ''}${options.key ?? LEASE_KEY}`;
  }

  get description(): string {
    return `s3://${this.bucket}/${this.key}`;
  }

  async create(lease: LeaseDocument): Promise<boolean> {
    return this.#put(lease, { IfNoneMatch: '*' });
  }

  async read(): Promise<StoredLease | undefined> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      const bytes = await response.Body!.transformToByteArray();
      return { lease: parseLease(bytes), version: response.ETag ?? '' };
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw new S3StoreError('get', this.bucket, this.key, error);
    }
  }

  async replace(lease: LeaseDocument, version: string): Promise<boolean> {
    return this.#put(lease, { IfMatch: version });
  }

  async remove(version: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key, IfMatch: version }));
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw new S3StoreError('delete', this.bucket, this.key, error);
    }
  }

  async #put(lease: LeaseDocument, condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<boolean> {
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: leaseBody(lease), ContentType: 'application/json', ...condition }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new S3StoreError('put', this.bucket, this.key, error);
    }
  }
}

function isConditionFailure(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  return e?.name === 'PreconditionFailed' || e?.name === 'ConditionalRequestConflict' || status === 412 || status === 409 || (status === 404 && e?.name === 'NoSuchKey');
}
