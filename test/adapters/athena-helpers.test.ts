import { describe, expect, it } from 'vitest';
import { athenaTimestampToIso, columnParser, parseResultPages, resultsHaveHeader } from '../../shared/engines/athena-results.ts';
import { Semaphore, backoffCeiling, isRetryableApiError, jitteredDelay, withRetries } from '../../shared/engines/athena-retry.ts';
import { journalKey, runTableName, sanitizeRunId } from '../../shared/engines/athena-statements.ts';
import { memoryJournal, objectStoreJournal, QueryJournalError } from '../../shared/engines/query-journal.ts';
import { QueryFailedError } from '../../shared/errors.ts';
import { MemoryStore } from './athena-fakes.ts';

const context = { step: 'test', queryId: 'q1' };

describe('Athena result values', () => {
  it('renders timestamps as ISO-8601 UTC with milliseconds', () => {
    expect(athenaTimestampToIso('2026-03-01 10:00:00.000')).toBe('2026-03-01T10:00:00.000Z');
    expect(athenaTimestampToIso('2026-03-01 10:00:00')).toBe('2026-03-01T10:00:00.000Z');
    expect(athenaTimestampToIso('2026-03-01 10:00')).toBe('2026-03-01T10:00:00.000Z');
    expect(athenaTimestampToIso('2026-03-01 10:00:00.1')).toBe('2026-03-01T10:00:00.100Z');
    expect(athenaTimestampToIso('2026-03-01 10:00:00.987654321')).toBe('2026-03-01T10:00:00.987Z');
    expect(athenaTimestampToIso('2026-03-01 10:00:00.000 UTC')).toBe('2026-03-01T10:00:00.000Z');
    expect(athenaTimestampToIso('2026-03-01 01:30:00.000 -05:00')).toBe('2026-03-01T06:30:00.000Z');
    expect(athenaTimestampToIso('2026-03-01 01:30:00.000 +0530')).toBe('2026-02-28T20:00:00.000Z');
  });

  it('rejects zone names and text that is not a timestamp', () => {
    expect(() => athenaTimestampToIso('2026-03-01 10:00:00.000 Europe/Berlin')).toThrow(/UTC or an offset/);
    expect(() => athenaTimestampToIso('yesterday')).toThrow();
    expect(() => athenaTimestampToIso('2026-13-01 10:00:00')).toThrow(/valid/);
  });

  it('parses each scalar type and fails clearly on bad text', () => {
    const parse = (type: string, text: string) => columnParser({ Name: 'c', Type: type }, context)(text);
    expect(parse('integer', '-7')).toBe(-7);
    expect(parse('tinyint', '3')).toBe(3);
    expect(parse('smallint', '300')).toBe(300);
    expect(parse('decimal(38,9)', '12.345000000')).toBe(12.345);
    expect(parse('real', '1.25')).toBe(1.25);
    expect(parse('float', 'Infinity')).toBe(Number.POSITIVE_INFINITY);
    expect(parse('char', 'ab ')).toBe('ab ');
    expect(parse('varchar', '')).toBe('');
    expect(parse('json', '[1,"a"]')).toEqual([1, 'a']);
    expect(() => parse('bigint', 'abc')).toThrow(/column "c" \(bigint\).*not a number/);
    expect(() => parse('bigint', '')).toThrow(/not a number/);
    expect(() => parse('boolean', 'yes')).toThrow(/not a boolean/);
    expect(() => parse('date', '2026-3-1')).toThrow(/YYYY-MM-DD/);
    expect(() => parse('json', '{')).toThrow(/JSON/);
  });

  it('refuses nested and unknown types when the columns are read, before any row', () => {
    for (const type of ['array', 'map', 'row', 'array(varchar)']) {
      expect(() => columnParser({ Name: 'tags', Type: type }, context)).toThrow(QueryFailedError);
    }
    expect(() => columnParser({ Name: 'b', Type: 'varbinary' }, context)).toThrow(/does not read/);
  });

  it('takes the header from SELECT results only', () => {
    expect(resultsHaveHeader({ StatementType: 'DML', SubstatementType: 'SELECT' })).toBe(true);
    expect(resultsHaveHeader({ StatementType: 'DML' })).toBe(true);
    expect(resultsHaveHeader(undefined)).toBe(true);
    expect(resultsHaveHeader({ StatementType: 'UTILITY', SubstatementType: 'DESCRIBE' })).toBe(false);
    expect(resultsHaveHeader({ StatementType: 'DDL', SubstatementType: 'CREATE_TABLE_AS_SELECT' })).toBe(false);
    expect(resultsHaveHeader({ StatementType: 'DML', SubstatementType: 'UNLOAD' })).toBe(false);
  });

  it('keeps every row when there is no header, and checks row widths', () => {
    const pages = [{ ResultSetMetadata: { ColumnInfo: [{ Name: 'col_name', Type: 'varchar' }] }, Rows: [{ Data: [{ VarCharValue: 'a' }] }, { Data: [{ VarCharValue: 'b' }] }] }];
    expect(parseResultPages(pages, { header: false, ...context })).toEqual([{ col_name: 'a' }, { col_name: 'b' }]);
    expect(parseResultPages(pages, { header: true, ...context })).toEqual([{ col_name: 'b' }]);
    const ragged = [{ ResultSetMetadata: { ColumnInfo: [{ Name: 'x', Type: 'varchar' }] }, Rows: [{ Data: [{}, {}] }] }];
    expect(() => parseResultPages(ragged, { header: false, ...context })).toThrow(/2 values for 1 columns/);
  });
});

describe('Athena backoff and retries', () => {
  const backoff = { initialMs: 200, maxMs: 1000, factor: 2 };

  it('grows exponentially to the cap, with full jitter', () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffCeiling(n, backoff))).toEqual([200, 400, 800, 1000, 1000]);
    expect(jitteredDelay(2, backoff, () => 0)).toBe(0);
    expect(jitteredDelay(2, backoff, () => 0.999999)).toBe(800);
    expect(jitteredDelay(9, backoff, () => 0.5)).toBe(500);
  });

  it('classifies throttling and transient faults as retryable, other errors not', () => {
    const named = (name: string) => Object.assign(new Error(name), { name });
    expect(isRetryableApiError(named('TooManyRequestsException'))).toBe(true);
    expect(isRetryableApiError(named('ThrottlingException'))).toBe(true);
    expect(isRetryableApiError(named('InternalServerException'))).toBe(true);
    expect(isRetryableApiError(Object.assign(named('TimeoutError'), { $retryable: { throttling: false } }))).toBe(true);
    expect(isRetryableApiError(named('InvalidRequestException'))).toBe(false);
    expect(isRetryableApiError(named('AccessDeniedException'))).toBe(false);
    expect(isRetryableApiError('TooManyRequestsException')).toBe(false);
  });

  it('retries with backoff up to the attempt limit, and lets beforeRetry veto a wait', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const throttle = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const policy = { ...backoff, attempts: 3 };
    const options = { policy, sleep: async (ms: number) => void sleeps.push(ms), random: () => 1 };
    await expect(withRetries(async () => { calls++; throw throttle; }, options)).rejects.toBe(throttle);
    expect(calls).toBe(3);
    expect(sleeps).toEqual([200, 400]);

    const veto = new Error('deadline');
    await expect(
      withRetries(async () => { throw throttle; }, { ...options, beforeRetry: () => { throw veto; } }),
    ).rejects.toBe(veto);
  });

  it('a semaphore admits at most its limit, in arrival order', async () => {
    const semaphore = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        semaphore.run(async () => {
          active++;
          peak = Math.max(peak, active);
          order.push(i);
          for (let k = 0; k < 3; k++) await Promise.resolve();
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});

describe('run-scoped names and journal keys', () => {
  it('sanitizes the run id into a Glue name that starts with a letter', () => {
    expect(sanitizeRunId('2026-03-01_20260302T030000Z_abc123')).toBe('run_2026_03_01_20260302t030000z_abc123');
    expect(sanitizeRunId('Nightly.Run-7')).toBe('nightly_run_7');
    expect(runTableName('Nightly.Run-7', 'stg_orders')).toBe('nightly_run_7__stg_orders');
    expect(() => runTableName('x'.repeat(300), 'stg_orders')).toThrow(QueryFailedError);
  });

  it('keys a statement by step and a hash prefix of its SQL', () => {
    expect(journalKey('coverage', 'SELECT 1')).toMatch(/^coverage:[0-9a-f]{16}$/);
    expect(journalKey('coverage', 'SELECT 1')).toBe(journalKey('coverage', 'SELECT 1'));
    expect(journalKey('coverage', 'SELECT 2')).not.toBe(journalKey('coverage', 'SELECT 1'));
  });
});

describe('query journals', () => {
  it('keeps every one of many concurrent records, reading the store once', async () => {
    const store = new MemoryStore();
    // Writes finish out of order unless the journal serializes them.
    store.putDelay = (n) => (n * 7) % 5;
    const journal = objectStoreJournal(store, 'journal/run-1.json');
    await Promise.all(Array.from({ length: 20 }, (_, i) => journal.record(`step ${i}:abc`, `q${i}`)));
    expect(store.calls.get).toBe(1);
    const saved = JSON.parse(new TextDecoder().decode(store.objects.get('journal/run-1.json'))) as Record<string, string>;
    expect(Object.keys(saved)).toHaveLength(20);
    expect(saved['step 13:abc']).toBe('q13');

    const reopened = objectStoreJournal(store, 'journal/run-1.json');
    expect(await reopened.lookup('step 7:abc')).toBe('q7');
    expect(await reopened.lookup('missing')).toBeUndefined();
  });

  it('starts empty without a document and refuses a corrupt one', async () => {
    const store = new MemoryStore();
    expect(await objectStoreJournal(store, 'j.json').lookup('a')).toBeUndefined();
    store.objects.set('bad.json', new TextEncoder().encode('[1,2]'));
    await expect(objectStoreJournal(store, 'bad.json').lookup('a')).rejects.toThrow(QueryJournalError);
    store.objects.set('broken.json', new TextEncoder().encode('{"a":'));
    await expect(objectStoreJournal(store, 'broken.json').lookup('a')).rejects.toThrow(/unreadable/);
  });

  it('reads again after a failed read', async () => {
    const store = new MemoryStore();
    const original = store.get.bind(store);
    let failures = 1;
    store.get = async (key) => {
      if (failures-- > 0) throw new Error('S3 hiccup');
      return original(key);
    };
    const journal = objectStoreJournal(store, 'j.json');
    await expect(journal.lookup('a')).rejects.toThrow();
    await expect(journal.lookup('a')).resolves.toBeUndefined();
  });

  it('has an in-memory variant', async () => {
    const journal = memoryJournal({ a: 'q1' });
    await journal.record('b', 'q2');
    expect(await journal.lookup('a')).toBe('q1');
    expect([...journal.entries]).toEqual([
      ['a', 'q1'],
      ['b', 'q2'],
    ]);
  });
});
