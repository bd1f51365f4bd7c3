import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSegmentsConfig } from '../../shared/contracts/config.ts';
import { TABLE_NAMES } from '../../shared/contracts/lake.ts';
import { InputError } from '../../shared/errors.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { AS_OF, BAD_INPUT_CASES, BASE_ROWS, baseLake, type BadInputCase } from '../fixtures/bad-input/cases.ts';
import { tempDir } from '../helpers/duckdb.ts';

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
