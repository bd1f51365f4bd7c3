import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVALID_JSON, invalidJsonLineNumbers } from '../../shared/engines/duckdb-lake.ts';
import { tempDir } from '../helpers/duckdb.ts';

/** Line numbers for DuckDB's invalid-JSON reports, which carry the line's first 120 characters but no number. */
describe('invalid JSON line numbers', () => {
  it('matches each report to the next invalid line with its text, skipping valid lines that share a long prefix', async () => {
    const prefix = `{"customer_id": "c1", "note": "${'é'.repeat(120)}`;
    const lines = [
      '{"customer_id": "c1"}',
      `${prefix}"}`, // valid, same first 120 characters as the next line
      `${prefix}`, // 3: invalid
      '',
      '{"customer_id": ', // 5: invalid
      '{"customer_id": ', // 6: invalid, the same text again
      '[1, 2', // 7: invalid, never reported (past the examples' limit)
    ];
    const file = path.join(await tempDir('json-lines'), 'events.jsonl');
    await writeFile(file, lines.join('\r\n'));
    const report = (line: string) => `${INVALID_JSON}${[...line].slice(0, 120).join('')}`;
    expect(await invalidJsonLineNumbers(file, [report(prefix), report('{"customer_id": '), report('{"customer_id": ')])).toEqual([3, 5, 6]);
    // A report with no such line (split differently) stays unnumbered; the others are still found.
    expect(await invalidJsonLineNumbers(file, [report('nothing like it'), report('[1, 2')])).toEqual([undefined, 7]);
  });
});
