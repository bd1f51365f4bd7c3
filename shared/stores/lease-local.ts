import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LEASE_KEY, leaseBody, parseLease, type LeaseDocument, type LeaseStore, type StoredLease } from './lease.ts';

/**
 * The lease as a file in the output folder. Creation is exclusive and atomic: the body is written to a temporary
 * file that is then hard-linked to `_lease.json`, which fails with EEXIST when the lease exists (the same O_EXCL
 * guarantee as `open(path, 'wx')`, without a window in which another refresh could read a half-written lease).
 * Taking over an expired lease first renames it away — only one contender's rename succeeds — then links the new
 * one in. A renewal by the holder replaces its own lease with an atomic rename.
 */
export class LocalLeaseStore implements LeaseStore {
  readonly file: string;
  constructor(outDir: string, key = LEASE_KEY) {
    this.file = path.join(path.resolve(outDir), key);
  }

  get description(): string {
    return this.file;
  }

  async create(lease: LeaseDocument): Promise<boolean> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temporary = await this.#temporary(lease);
    try {
      await link(temporary, this.file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  async read(): Promise<StoredLease | undefined> {
    const bytes = await readFile(this.file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    return bytes === undefined ? undefined : { lease: parseLease(bytes), version: hash(bytes) };
  }

  async replace(lease: LeaseDocument, version: string): Promise<boolean> {
    const current = await this.read();
    if (!current || current.version !== version) return false;
    if (current.lease?.token === lease.token) {
      // Renewing our own lease: an in-place atomic rename, so the lease never disappears meanwhile.
      await rename(await this.#temporary(lease), this.file);
      return true;
    }
    // Taking over: move the expired lease aside (exclusive), check it is the one we judged expired, link ours in.
    const aside = `${this.file}.${randomUUID()}.expired`;
    try {
      await rename(this.file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    try {
      if (hash(await readFile(aside)) !== version) {
        await link(aside, this.file).catch(() => {});
        return false;
      }
      return await this.create(lease);
    } finally {
      await rm(aside, { force: true });
    }
  }

  async remove(version: string): Promise<void> {
    const current = await this.read();
    if (current?.version === version) await rm(this.file, { force: true });
  }

  async #temporary(lease: LeaseDocument): Promise<string> {
    const temporary = `${this.file}.${randomUUID()}.tmp`;
    await writeFile(temporary, leaseBody(lease), { flag: 'wx' });
    return temporary;
  }
}

function hash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
