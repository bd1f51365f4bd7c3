/**
 * The object-store port: where a run's results live. Keys are '/'-separated and relative (`runs/<id>/…`,
 * `latest.json`); adapters map them to a folder or an S3 prefix. `location` tells a query engine where to write
 * large results itself (a local path for DuckDB, an s3:// URL for Athena), so per-customer rows never pass
 * through the process.
 */
export interface ObjectStore {
  put(key: string, body: string | Uint8Array, contentType: string): Promise<void>;
  /** The object's bytes, or undefined when there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Objects under a prefix, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  location(key: string): string;
  readonly description: string;
}

export interface ObjectInfo {
  readonly key: string;
  readonly bytes: number;
}

export class InvalidKeyError extends Error {
  constructor(key: string, why: string) {
    super(`invalid object key "${key}": ${why}`);
    this.name = 'InvalidKeyError';
  }
}

export function checkKey(key: string): string {
  if (key.length === 0 || key.length > 1024) throw new InvalidKeyError(key, 'length must be 1–1024');
  if (key.startsWith('/')) throw new InvalidKeyError(key, 'keys are relative');
  if (key.split('/').some((part) => part === '..' || part === '.')) throw new InvalidKeyError(key, 'no . or .. segments');
  if (/[\u0000-\u001f\\]/.test(key)) throw new InvalidKeyError(key, 'no control characters or backslashes');
  return key;
}

export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
}

export const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

export async function getText(store: ObjectStore, key: string): Promise<string | undefined> {
  const bytes = await store.get(key);
  return bytes === undefined ? undefined : utf8(bytes);
}

export async function getJson<T = unknown>(store: ObjectStore, key: string): Promise<T | undefined> {
  const text = await getText(store, key);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}
