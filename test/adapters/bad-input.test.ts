import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSegmentsConfig } from '../../shared/contracts/config.ts';
import { TABLE_NAMES } from '../../shared/contracts/lake.ts';
import { InputError } from '../../shared/errors.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { AS_OF, BAD_INPUT_CASES, BASE_ROWS, baseLake, type BadInputCase } from '../fixtures/bad-input/cases.ts';
import { scratchEngine, tempDir } from '../helpers/duckdb.ts';

/**
 * The bad-input corpus (test/fixtures/bad-input/cases.ts) through the real refresh: each case is one bad file
 * added to a small valid lake. Every row is accounted for (read = accepted + rejected, in every table), every
 * rejected row has a reason, and the example in quality.json names the file (and line for a malformed line).
 */
const config = parseSegmentsConfig({ version: 1, rfm: { minBuyersForQuintiles: 5 }, quality: { maxRejectedShare: 1 } });

async function lakeWith(c: BadInputCase): Promise<string> {
  const lake = await tempDir('bad-input-lake');
  for (const [rel, body] of Object.entries(baseLake())) {
    await mkdir(path.dirname(path.join(lake, rel)), { recursive: true });
    await writeFile(path.join(lake, rel), body);
  }
  await mkdir(path.dirname(path.join(lake, c.table, c.file)), { recursive: true });
  await writeFile(path.join(lake, c.table, c.file), c.content);
  return lake;
}

describe('bad input corpus', () => {
  it('covers every class', () => {
    const classes = new Set(BAD_INPUT_CASES.map((c) => c.class));
    expect(classes.size).toBe(10);
    expect(new Set(BAD_INPUT_CASES.map((c) => `${c.table}/${c.file}`)).size).toBe(BAD_INPUT_CASES.length);
  });

  it.each(BAD_INPUT_CASES.map((c) => [`${c.class}: ${c.name}`, c] as const))('%s', async (_, c) => {
    const lake = await lakeWith(c);
    const out = await tempDir('bad-input-out');
    const run = refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF, config, threads: 1 });
    if (c.inputError) {
      const error = await run.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      for (const part of c.inputError) expect((error as Error).message).toContain(part);
      // Stopped before any result: nothing published, only the failure marker.
      expect(await readdir(out)).not.toContain('latest.json');
      return;
    }
    const result = await run;
    const quality = result.quality;
    expect(quality.status).toBe('passed');
    // Every table: every row read is accepted or rejected, and every rejected row has a reason.
    for (const table of TABLE_NAMES) {
      const q = quality.tables[table]!;
      expect(q.rows_read, table).toBe(q.rows_accepted + q.rows_rejected);
      expect(q.rows_rejected, table).toBe(Object.values(q.rejected_by_reason).reduce((a, b) => a + (b ?? 0), 0));
      if (table !== c.table) expect(q.rows_read, table).toBe(BASE_ROWS[table]);
    }
    const q = quality.tables[c.table]!;
    expect(q.rows_read).toBe(BASE_ROWS[c.table] + c.rows);
    expect(q.rejected_by_reason).toEqual(c.rejected ?? {});
    expect(q.rows_after_as_of).toBe(c.afterAsOf ?? 0);
    if (c.example) {
      const example = q.examples.find((e) => e.reason === c.example!.reason);
      expect(example, JSON.stringify(q.examples)).toBeDefined();
      expect(example!.file).toBe(`${c.table}/${c.file}`);
      if (c.example.line !== undefined) expect(example!.line).toBe(c.example.line);
      if (c.example.field) expect(example!.field).toBe(c.example.field);
      expect(example!.values.length).toBeGreaterThan(0);
    }
    const rowRejects = q.rows_rejected - (q.rejected_by_reason.malformed_line ?? 0);
    // Rows with a reason are written to the quarantine; malformed lines are named in the warnings.
    expect(q.quarantine).toBe(rowRejects > 0 ? `${result.prefix}quarantine/${c.table}` : null);
    if (q.rejected_by_reason.malformed_line) {
      expect(quality.warnings.some((w) => w.startsWith(`${c.table}/${c.file}`) && w.includes(`malformed ${c.table} line`))).toBe(true);
    }
  });
});

describe('amounts in other currencies', () => {
  it('converts large amounts exactly and quarantines one too large in the reporting currency instead of failing the run', async () => {
    const currency = { reporting: 'EUR', rates: { GBP: 1.176471, BTC: 1_000_000 } };
    const lake = await lakeWith({
      name: 'currencies', class: 'huge value', table: 'orders', file: 'currencies.csv', rows: 4,
      content: Buffer.from(['order_id,customer_id,order_ts,amount,currency', 'g1,c1,2026-01-05T10:00:00Z,900000000,GBP', 'g2,c2,2026-01-05T10:00:00Z,900000000000,GBP', 'g3,c3,2026-01-05T10:00:00Z,0.5,BTC', 'g4,c4,2026-01-05T10:00:00Z,70000000,GBP', ''].join('\n')),
    });
    const out = await tempDir('currency-out');
    const result = await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF, config: { ...config, currency }, threads: 1 });
    // 9e11 GBP is 1.06e12 EUR: more than one row may hold, though it is under the limit in its own currency.
    expect(result.quality.tables.orders!.rejected_by_reason).toEqual({ non_numeric_amount: 1 });
    const engine = await scratchEngine();
    try {
      const rows = await engine.query('read', `SELECT customer_id, CAST(monetary AS varchar) AS monetary FROM read_parquet('${path.join(out, result.prefix, 'customer_segments', '*.parquet')}') WHERE customer_id IN ('c1', 'c3', 'c4') ORDER BY customer_id`);
      // Base rows: c1 ordered 11 + 21 + 31 + 41 EUR, c3 13 + 23 + 33 + 43, c4 14 + 24 + 34 + 44. c4's order is
      // just under where 64-bit DECIMAL arithmetic ends, c1's above it.
      expect(rows.map((r) => [r.customer_id, Number(r.monetary)])).toEqual([['c1', 900_000_000 * 1.176471 + 104], ['c3', 500_000 + 112], ['c4', 70_000_000 * 1.176471 + 116]]);
    } finally {
      await engine.close();
    }
  });
});

describe('an optional table that cannot be read', () => {
  it('stops the run naming the folder instead of publishing as if the table were absent', async () => {
    const lake = await tempDir('unreadable-table-lake');
    for (const [rel, body] of Object.entries(baseLake()).filter(([rel]) => !rel.startsWith('events/'))) {
      await mkdir(path.dirname(path.join(lake, rel)), { recursive: true });
      await writeFile(path.join(lake, rel), body);
    }
    // A symlink to itself: stat fails with ELOOP (permissions would not stop this test's root user).
    await symlink(path.join(lake, 'events'), path.join(lake, 'events'));
    const out = await tempDir('unreadable-table-out');
    const error = await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF, config, threads: 1 }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`${path.join(lake, 'events')} cannot be read (ELOOP)`);
    expect(await readdir(out)).not.toContain('latest.json');
  });
});
