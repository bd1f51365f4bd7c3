import { createHash } from 'node:crypto';
import { Dialect, validate } from '@polyglot-sql/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { EXPERIMENT_BUCKETS, experimentBucketSql } from '../../shared/sql/experiments.ts';
import { sqlString } from '../../shared/sql/literals.ts';
import { scratchEngine } from '../helpers/duckdb.ts';

/**
 * The experiment bucket must be the same number on Athena (Trino) and on DuckDB. Trino's meaning is computed here
 * independently with node:crypto: md5 over the UTF-8 bytes of salt || id, the first 4 bytes as an unsigned
 * big-endian integer (to_hex → 8 upper-case hex digits → from_base(…, 16)), mod 100.
 */
function trinoBucket(salt: string, id: string): number {
  return createHash('md5').update(`${salt}${id}`, 'utf8').digest().readUInt32BE(0) % EXPERIMENT_BUCKETS;
}

const SPECIAL_IDS = [
  '',
  'c-00042',
  "o'brien",
  'a"b',
  'Müller',
  'ÆØÅ-æøå',
  '東京-顧客-001',
  'клиент-17',
  'عميل',
  '🎃👻',
  '👩‍👩‍👧‍👦 family',
  'e\u0301', // e + combining accent: not normalised, bytes hashed as they are
  '\u00e9',
  ' padded ',
  'tab\there',
  'line\nbreak',
  'x'.repeat(500),
];
const generatedIds = Array.from({ length: 5_000 }, (_, i) => (i % 3 === 0 ? `c-${String(i).padStart(6, '0')}` : i % 3 === 1 ? `kunde-ä${i}` : `客${i}🎁`));
const ALL_IDS = [...SPECIAL_IDS, ...generatedIds];

let engine: DuckDbQueryEngine;

async function duckBuckets(ids: readonly string[], salt: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 1_000) {
    const chunk = ids.slice(i, i + 1_000);
    const rows = await engine.query(
      'bucket',
      `SELECT id, ${experimentBucketSql('id', salt)} AS bucket, typeof(${experimentBucketSql('id', salt)}) AS type FROM (VALUES ${chunk.map((id) => `(${sqlString(id)})`).join(', ')}) AS t (id)`,
    );
    for (const r of rows) {
      expect(r.type).toBe('INTEGER');
      out.set(String(r.id), Number(r.bucket));
    }
  }
  return out;
}

beforeAll(async () => {
  engine = await scratchEngine();
});
afterAll(async () => engine?.close());

describe('experiment bucket', () => {
  it('gives on DuckDB exactly the bucket Trino computes, for ASCII, quotes, unicode, emoji and long ids', async () => {
    for (const salt of ['segments-v1', 'sälz-🧂', "it's"]) {
      const buckets = await duckBuckets(ALL_IDS, salt);
      expect(buckets.size).toBe(new Set(ALL_IDS).size);
      const mismatches = ALL_IDS.filter((id) => buckets.get(id) !== trinoBucket(salt, id));
      expect(mismatches).toEqual([]);
    }
  });

  it('is roughly uniform over 0–99 (chi-square over 20,000 ids)', async () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `c-${String(i).padStart(7, '0')}`);
    const buckets = await duckBuckets(ids, 'segments-v1');
    const counts = new Array<number>(EXPERIMENT_BUCKETS).fill(0);
    for (const b of buckets.values()) counts[b]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(0);
    const expected = ids.length / EXPERIMENT_BUCKETS;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: the 99.9th percentile is ≈ 148.
    expect(chi2).toBeLessThan(148);
    // A 10 % holdout (buckets 0–9) is close to 10 %.
    const holdout = [...buckets.values()].filter((b) => b < 10).length / ids.length;
    expect(holdout).toBeGreaterThan(0.09);
    expect(holdout).toBeLessThan(0.11);
  });

  it('is stable across sessions and changes with the salt', async () => {
    const ids = generatedIds.slice(0, 2_000);
    const first = await duckBuckets(ids, 'segments-v1');
    const other = await scratchEngine();
    try {
      const again = await other.query('bucket', `SELECT id, ${experimentBucketSql('id', 'segments-v1')} AS bucket FROM (VALUES ${ids.map((id) => `(${sqlString(id)})`).join(', ')}) AS t (id)`);
      for (const r of again) expect(Number(r.bucket)).toBe(first.get(String(r.id)));
    } finally {
      await other.close();
    }
    const reshuffled = await duckBuckets(ids, 'segments-v2');
    const same = ids.filter((id) => reshuffled.get(id) === first.get(id)).length;
    // Independent buckets agree 1 % of the time.
    expect(same / ids.length).toBeLessThan(0.03);
  });

  it('keeps Trino’s meaning in the compat macros it relies on', async () => {
    const [row] = await engine.query(
      'macros',
      `SELECT to_hex(md5(to_utf8('abc'))) AS hex, to_hex(md5(to_utf8(''))) AS empty, from_base('ff', 16) AS ff, from_base('-1A', 16) AS neg,
        from_base('FFFFFFFF', 16) AS max32, from_base('zz', 16) AS bad, from_base('ff', 10) AS other_radix`,
    );
    expect(row).toEqual({
      hex: '900150983CD24FB0D6963F7D28E17F72',
      empty: 'D41D8CD98F00B204E9800998ECF8427E',
      ff: 255,
      neg: -26,
      max32: 4294967295,
      bad: null,
      other_radix: null,
    });
  });

  it('is Trino SQL, with the salt only through sqlString', () => {
    const sql = experimentBucketSql('customer_id', "o'salt");
    expect(sql).toContain("'o''salt'");
    const result = validate(`SELECT customer_id, ${sql} AS experiment_bucket FROM customer_segments`, Dialect.Trino);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
