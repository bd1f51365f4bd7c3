import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkKey, type ObjectInfo, type ObjectStore } from './object-store.ts';
import { compareText } from '../compare.ts';

/**
 * A local folder as an object store. Writes go to a temporary file that is renamed into place, so a reader
 * (or `latest.json`'s reader) never sees half an object, just as S3 never shows a half-written PUT.
 */
export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get description(): string {
    return this.root;
  }

  location(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  async put(key: string, body: string | Uint8Array, _contentType?: string): Promise<void> {
    const target = this.location(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, body);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.location(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const base = prefix.endsWith('/') || prefix === '' ? prefix : `${prefix}/`;
    const dir = base === '' ? this.root : this.location(base.slice(0, -1));
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const files = entries.filter((e) => e.isFile() && !e.name.endsWith('.tmp'));
    const infos = await Promise.all(
      files.map(async (e) => {
        const full = path.join(e.parentPath, e.name);
        return { key: path.relative(this.root, full).split(path.sep).join('/'), bytes: (await stat(full)).size };
      }),
    );
    return infos.sort((a, b) => compareText(a.key, b.key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.location(key), { force: true });
  }
}
