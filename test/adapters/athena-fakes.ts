import type { ObjectInfo, ObjectStore } from '../../shared/stores/object-store.ts';

/** An object store in memory whose locations are s3:// URLs, like the S3 store the Athena engine is given. */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  readonly calls = { get: 0, put: 0, delete: 0 };
  /** Delays each put by this many macrotask turns (varied per call), to interleave concurrent writes. */
  putDelay?: (n: number) => number;

  constructor(
    readonly urlBase = 's3://bucket/',
    readonly description = 'memory',
  ) {}

  location(key: string): string {
    return `${this.urlBase}${key}`;
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    const n = this.calls.put++;
    const turns = this.putDelay?.(n) ?? 0;
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
    this.objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.calls.get++;
    return this.objects.get(key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, body]) => ({ key, bytes: body.byteLength }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async delete(key: string): Promise<void> {
    this.calls.delete++;
    this.objects.delete(key);
  }

  /** Puts an object of `bytes` bytes, synchronously. */
  add(key: string, bytes = 10): this {
    this.objects.set(key, new Uint8Array(bytes));
    return this;
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

/** A clock that only moves when the engine sleeps, recording every sleep. */
export function fakeTime(start = Date.parse('2026-03-02T03:00:00Z')) {
  const state = { now: start, sleeps: [] as number[] };
  return {
    state,
    now: () => state.now,
    sleep: async (ms: number) => {
      state.sleeps.push(ms);
      state.now += ms;
    },
  };
}
