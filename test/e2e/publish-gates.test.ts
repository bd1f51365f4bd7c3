import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSegmentsConfig } from '../../shared/contracts/config.ts';
import { QualityGateError } from '../../shared/errors.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { broadSegments, segmentSwings } from '../../shared/pipeline/run-documents.ts';
import { tempDir } from '../helpers/duckdb.ts';

/**
 * Gates before publishing: empty input and a stale orders feed are refused; a large segment size swing, a segment
 * too broad to target and a lagging events feed are published with a warning.
 */
const AS_OF = '2026-01-10';
const HEADER = 'order_id,customer_id,order_ts,amount';
const EVENT_HEADER = 'customer_id,event_ts,event_type';

async function lake(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('gates-lake');
  for (const [rel, body] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), body);
  }
  return dir;
}
const orders = (customers: number) =>
  [HEADER, ...Array.from({ length: customers * 2 }, (_, i) => `o${i},c${i % customers},2026-01-0${1 + (i % 9)}T10:00:00Z,${10 + i}`)].join('\n');

describe('publish gates', () => {
  it('refuses empty input (0-byte and header-only orders files) with a clear message', async () => {
    const config = parseSegmentsConfig({ version: 1 });
    const lakes: Record<string, string>[] = [{ 'orders/a.csv': '', 'orders/b.jsonl': '' }, { 'orders/a.csv': HEADER, 'orders/b.csv': `${HEADER}\n` }];
    for (const files of lakes) {
      const out = await tempDir('gates-out');
      const error = await refreshLocal({ lakeDir: await lake(files), outDir: out, asOf: AS_OF, config }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(QualityGateError);
      expect((error as Error).message).toMatch(/orders: the input is empty \(0 rows/);
      const runs = await readdir(path.join(out, 'runs'));
      const quality = JSON.parse(await readFile(path.join(out, 'runs', runs[0]!, 'quality.json'), 'utf8'));
      expect(quality.status).toBe('failed');
      expect(quality.tables.orders).toMatchObject({ present: true, rows_read: 0, rows_accepted: 0, rows_rejected: 0 });
    }
  });

  it('names the day partitions after the as-of date when they hold every order (a mistyped --as-of)', async () => {
    const files = { 'orders/dt=2026-01-05/a.csv': orders(5), 'orders/dt=2026-01-06/a.csv': orders(5) };
    const error = await refreshLocal({ lakeDir: await lake(files), outDir: await tempDir('gates-out'), asOf: '2025-01-10', config: parseSegmentsConfig({ version: 1 }) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QualityGateError);
    expect((error as Error).message).toContain('orders: the input is empty (0 rows in 0 non-empty file(s) under orders/; 2 file(s) in day partitions after the as-of date 2025-01-10 were left out)');
  });

  it('publishes a segment whose size swings beyond quality.maxSegmentSwing, with a warning and a swings entry', async () => {
    const config = parseSegmentsConfig({ version: 1, rfm: { minBuyersForQuintiles: 5 }, quality: { maxSegmentSwing: 0.5, minSegmentSizeForSwing: 10 } });
    const out = await tempDir('gates-swing');
    const first = await refreshLocal({ lakeDir: await lake({ 'orders/o.csv': orders(20) }), outDir: out, asOf: AS_OF, config });
    expect(first.quality.swings).toEqual([]);
    // The same lake again: nothing swings.
    const same = await refreshLocal({ lakeDir: await lake({ 'orders/o.csv': orders(20) }), outDir: out, asOf: AS_OF, config });
    expect(same.quality.swings).toEqual([]);
    // Three times the customers: all_customers grows by +200 %.
    const second = await refreshLocal({ lakeDir: await lake({ 'orders/o.csv': orders(60) }), outDir: out, asOf: AS_OF, config });
    expect(second.quality.status).toBe('passed');
    expect(second.quality.swings).toContainEqual({ segment_id: 'all_customers', kind: 'all', previous: 20, current: 60, change: 2 });
    expect(second.quality.warnings).toContainEqual(expect.stringMatching(/^segment all\/all_customers changed by \+200% since run .* \(20 → 60 customers; limit ±50%\)$/));
    const latest = JSON.parse(await readFile(path.join(out, 'latest.json'), 'utf8'));
    expect(latest.run_id).toBe(second.runId);
    const published = JSON.parse(await readFile(path.join(out, second.prefix, 'quality.json'), 'utf8'));
    expect(published.swings).toEqual(second.quality.swings);
  });

  it('publishes a rule segment that takes in most customers, with a warning and a broad_segments entry', async () => {
    const segments = (minOrders: number) => [
      { id: 'repeat', name: 'Repeat buyers', rule: { feature: 'frequency', op: 'gte', value: minOrders } },
      // Customer k spends 40 + 2k: half of them (k ≥ 10) reach 60, exactly the limit, which is not too broad.
      { id: 'big', name: 'Big spenders', rule: { feature: 'monetary', op: 'gte', value: 60 } },
    ];
    const run = (minOrders: number) => {
      const config = parseSegmentsConfig({ version: 1, rfm: { minBuyersForQuintiles: 5 }, segments: segments(minOrders) });
      return tempDir('gates-broad').then(async (out) => ({ out, ...(await refreshLocal({ lakeDir: await lake({ 'orders/o.csv': orders(20) }), outDir: out, asOf: AS_OF, config })) }));
    };
    // Every customer has two orders: "at least 2" takes in all of them, "at least 3" none.
    const loose = await run(2);
    expect(loose.quality.status).toBe('passed');
    expect(loose.segments.segments.find((x) => x.id === 'big')).toMatchObject({ size: 10, share: 0.5 });
    expect(loose.quality.broad_segments).toEqual([{ segment_id: 'repeat', kind: 'rule', size: 20, share: 1 }]);
    expect(loose.quality.warnings).toContainEqual('segment rule/repeat holds 100% of all customers (20 customers; limit 50%): too broad to single out a target group');
    const published = JSON.parse(await readFile(path.join(loose.out, loose.prefix, 'quality.json'), 'utf8'));
    expect(published.broad_segments).toEqual(loose.quality.broad_segments);
    const tight = await run(3);
    expect(tight.quality.broad_segments).toEqual([]);
    expect(tight.quality.warnings.filter((w) => w.includes('too broad'))).toEqual([]);
  });

  it('checks only rule and discovered segments for breadth, above the configured share', () => {
    const seg = (id: string, kind: string, share: number) => ({ id, kind, name: id, size: share * 1000, share }) as never;
    const broad = broadSegments(
      [seg('all_customers', 'all', 1), seg('active', 'lifecycle', 0.8), seg('loose', 'rule', 0.61), seg('edge', 'rule', 0.6), seg('everyone_else', 'discovered', 0.7)],
      0.6,
    );
    expect(broad.map((b) => [b.kind, b.segment_id, b.size, b.share])).toEqual([
      ['rule', 'loose', 610, 0.61],
      ['discovered', 'everyone_else', 700, 0.7],
    ]);
  });

  it('refuses segments built on orders that stopped coming while events run on, and keeps the last run published', async () => {
    const config = parseSegmentsConfig({ version: 1, rfm: { minBuyersForQuintiles: 5 } });
    const out = await tempDir('gates-stale-table');
    const events = (day: string) => [EVENT_HEADER, ...Array.from({ length: 20 }, (_, i) => `c${i},${day}T12:00:00Z,page_view`)].join('\n');
    const good = await refreshLocal({ lakeDir: await lake({ 'orders/o.csv': orders(20), 'events/e.csv': events('2026-01-09') }), outDir: out, asOf: AS_OF, config });
    expect(good.quality.freshness.tables).toMatchObject({ orders: { status: 'fresh' }, events: { status: 'fresh', age_days: 1 } });
    // Six weeks on, the same orders: the events feed still says the data is current, the orders feed does not.
    const error = await refreshLocal({ lakeDir: await lake({ 'orders/o.csv': orders(20), 'events/e.csv': events('2026-02-19') }), outDir: out, asOf: '2026-02-20', config }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QualityGateError);
    expect((error as Error).message).toMatch(/orders: newest accepted row 2026-01-09T10:00:00\S* is 42 days before the as-of date \(limit 30\): segments would be built on stale orders/);
    expect(JSON.parse(await readFile(path.join(out, 'latest.json'), 'utf8')).run_id).toBe(good.runId);

    // Events five days old while orders are current: published, with a warning naming the table.
    const lagging = await refreshLocal({ lakeDir: await lake({ 'orders/o.csv': orders(20), 'events/e.csv': events('2026-01-05') }), outDir: out, asOf: AS_OF, config });
    expect(lagging.quality.status).toBe('passed');
    expect(lagging.quality.freshness).toMatchObject({ status: 'fresh', tables: { orders: { status: 'fresh' }, events: { status: 'stale_warning', age_days: 5 } } });
    expect(lagging.quality.warnings).toContain('events: newest accepted row is 5 days before the as-of date');
    expect(lagging.quality.warnings.filter((w) => w.startsWith('orders:'))).toEqual([]);
  });

  it('checks swings only on segments large enough, in both directions, and counts a vanished segment as 0', () => {
    const seg = (id: string, size: number) => ({ id, kind: 'rfm' as const, name: id, size }) as never;
    const swings = segmentSwings(
      [seg('big_up', 100), seg('big_down', 400), seg('small', 10), seg('steady', 1000), seg('gone', 150), seg('edge', 100)],
      [seg('big_up', 151), seg('big_down', 100), seg('small', 60), seg('steady', 1400), seg('edge', 150), seg('new', 500)],
      { maxSwing: 0.5, minSize: 100 },
    );
    expect(swings.map((s) => [s.segment_id, s.previous, s.current, s.change])).toEqual([
      ['big_up', 100, 151, 0.51],
      ['big_down', 400, 100, -0.75],
      ['gone', 150, 0, -1],
    ]);
    // A refitted clustering renumbers its segments: discovered_9 gone after k fell from 9 to 8 is no swing.
    const cluster = (id: string, size: number) => ({ id, kind: 'discovered' as const, name: id, size }) as never;
    const refit = segmentSwings([cluster('discovered_1', 500), cluster('discovered_9', 380)], [cluster('discovered_1', 1500)], { maxSwing: 0.5, minSize: 100 });
    expect(refit).toEqual([]);
  });
});
