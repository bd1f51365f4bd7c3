import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSegmentsConfig } from '../../shared/contracts/config.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { tempDir } from '../helpers/duckdb.ts';

/** Lines no reader can parse are quarantined and counted with their file (and line, for CSV), not dropped. */
describe('malformed input lines', () => {
  it('are counted as malformed_line with file and line, and the rest of the file is used', async () => {
    const lake = await tempDir('malformed-lake');
    await mkdir(path.join(lake, 'orders'), { recursive: true });
    await mkdir(path.join(lake, 'events'), { recursive: true });
    const good = Array.from({ length: 20 }, (_, i) => `o${i},c${i % 5},2026-01-0${1 + (i % 9)}T10:00:00Z,${10 + i}`);
    await writeFile(path.join(lake, 'orders', 'o.csv'), ['order_id,customer_id,order_ts,amount', ...good.slice(0, 10), 'o99,c1', ...good.slice(10)].join('\n'));
    await writeFile(
      path.join(lake, 'events', 'e.jsonl'),
      [...Array.from({ length: 9 }, (_, i) => JSON.stringify({ customer_id: `c${i % 5}`, event_ts: '2026-01-05T10:00:00Z', event_type: 'page_view' })), '{"customer_id": "c1", "event_ts":'].join('\n'),
    );
    const config = parseSegmentsConfig({ version: 1, rfm: { minBuyersForQuintiles: 5 } });
    const result = await refreshLocal({ lakeDir: lake, outDir: await tempDir('malformed-out'), asOf: '2026-01-10', config });
    const orders = result.quality.tables.orders!;
    expect(orders.rows_accepted).toBe(20);
    expect(orders.rejected_by_reason).toEqual({ malformed_line: 1 });
    expect(orders.examples[0]).toMatchObject({ reason: 'malformed_line', file: 'orders/o.csv', line: 12 });
    const events = result.quality.tables.events!;
    expect(events.rows_accepted).toBe(9);
    expect(events.rejected_by_reason).toEqual({ malformed_line: 1 });
    expect(events.examples[0]).toMatchObject({ reason: 'malformed_line', file: 'events/e.jsonl' });
    expect(result.quality.warnings.some((w) => w.startsWith('orders/o.csv:12: malformed orders line'))).toBe(true);
  });

  it('counts a last line whose quote never closes, in a file DuckDB did not sniff, where DuckDB drops it without a word', async () => {
    const lake = await tempDir('unclosed-quote-lake');
    const header = 'order_id,customer_id,order_ts,amount';
    for (let day = 1; day <= 12; day += 1) {
      const folder = path.join(lake, 'orders', `dt=2026-01-${String(day).padStart(2, '0')}`);
      await mkdir(folder, { recursive: true });
      const ts = `2026-01-${String(day).padStart(2, '0')}T10:00:00Z`;
      const lines = [header, `"o${day}a","c${day % 5}","${ts}","12.50"`, `"o${day}b","c${(day + 1) % 5}","${ts}","7"`];
      if (day === 12) lines.push(`"o${day}c","c1","${ts}","unclosed`);
      await writeFile(path.join(folder, 'part-0.csv'), `${lines.join('\n')}\n`);
    }
    const config = parseSegmentsConfig({ version: 1, rfm: { minBuyersForQuintiles: 5 } });
    const result = await refreshLocal({ lakeDir: lake, outDir: await tempDir('unclosed-quote-out'), asOf: '2026-01-12', config });
    const orders = result.quality.tables.orders!;
    expect(orders.rows_read).toBe(25);
    expect(orders.rows_accepted).toBe(24);
    expect(orders.rejected_by_reason).toEqual({ malformed_line: 1 });
    expect(orders.examples[0]).toMatchObject({ reason: 'malformed_line', file: 'orders/dt=2026-01-12/part-0.csv', line: 4 });
  });
});
