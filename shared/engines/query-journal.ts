import { getJson, putJson, type ObjectStore } from '../stores/object-store.ts';
import { compareText } from '../compare.ts';

/**
 * Which query ran each statement of a run. A Lambda retry of the same run looks its statements up here and resumes
 * (reads a finished query's results, keeps polling a running one) instead of running — and paying for — them again.
 */
export interface QueryJournal {
  lookup(key: string): Promise<string | undefined>;
  record(key: string, queryId: string): Promise<void>;
}

export class QueryJournalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueryJournalError';
  }
}

/**
 * A journal kept as one JSON object `{ key: queryId }` in a store. Read once, on first use; rewritten whole after
 * every record. Writes are chained, and each writes the full map as it stands when its turn comes, so concurrent
 * records (the engine runs queries in parallel) never overwrite each other.
 */
export function objectStoreJournal(store: ObjectStore, key: string): QueryJournal {
  let loading: Promise<Map<string, string>> | undefined;
  let writes: Promise<void> = Promise.resolve();

  const load = (): Promise<Map<string, string>> => {
    loading ??= (async () => {
      let document: unknown;
      try {
        document = await getJson(store, key);
      } catch (error) {
        throw new QueryJournalError(`the query journal ${store.description}/${key} is unreadable; delete it to re-run every query of the run`, {
          cause: error,
        });
      }
      if (document === undefined) return new Map<string, string>();
      if (typeof document !== 'object' || document === null || Array.isArray(document)) {
        throw new QueryJournalError(`the query journal ${store.description}/${key} is not a JSON object`);
      }
      const entries = Object.entries(document).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
      return new Map(entries);
    })();
    // A failed read (S3 hiccup) is not remembered: the next call reads again.
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  };

  return {
    async lookup(entry) {
      return (await load()).get(entry);
    },
    async record(entry, queryId) {
      const map = await load();
      map.set(entry, queryId);
      const write = writes.then(() => putJson(store, key, Object.fromEntries([...map].sort(([a], [b]) => compareText(a, b)))));
      // One failed write must not block the ones after it; its caller still sees the error.
      writes = write.catch(() => {});
      await write;
    },
  };
}

/** A journal in memory: for tests, and for callers that want resume within one process only. */
export function memoryJournal(initial: Record<string, string> = {}): QueryJournal & { readonly entries: Map<string, string> } {
  const entries = new Map(Object.entries(initial));
  return {
    entries,
    async lookup(key) {
      return entries.get(key);
    },
    async record(key, queryId) {
      entries.set(key, queryId);
    },
  };
}
