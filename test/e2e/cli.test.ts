import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/duckdb.ts';

/** The command line as a user runs it: exit codes tell success, bad input and failure apart. */
const cli = (args: string[], cwd?: string) =>
  spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), path.resolve('shared/cli/main.ts'), ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    ...(cwd ? { cwd } : {}),
  });

/**
 * The summary's tables as a reader sees them: every segment under its full name, and each figure's last digit
 * in the column where its heading ends.
 */
function expectAlignedSummary(stdout: string, segments: { segments: { kind: string; name: string; size: number }[] }) {
  const lines = stdout.split('\n');
  const blocks = ['Input', 'RFM segments', 'Lifecycle stages', 'Rule segments', 'Discovered segments'];
  for (const block of blocks) {
    const start = lines.findIndex((l) => l.startsWith(block));
    expect(start, block).toBeGreaterThan(-1);
    const header = lines[start]!;
    const ends = [...header.matchAll(/\S+(?: share)?/g)].slice(block === 'Input' ? 1 : block.split(' ').length).map((m) => m.index! + m[0].length);
    const rows = lines.slice(start + 1, lines.indexOf('', start));
    expect(rows.length, block).toBeGreaterThan(0);
    for (const row of rows) for (const end of ends) expect(row.slice(end - 1, end + 1), `${block}: ${row}`).toMatch(/^[\d%] ?$/);
  }
  // The 'all' baseline is the Customers line, not a table row.
  for (const s of segments.segments.filter((x) => x.kind !== 'all')) expect(stdout).toMatch(new RegExp(`^  ${s.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +${s.size.toLocaleString('en-US')} `, 'm'));
}

describe('segments CLI', () => {
  it('prints help with exit 0 and refuses unknown commands and options with exit 2', () => {
    expect(cli(['--help']).status).toBe(0);
    expect(cli(['--help']).stdout).toContain('segments refresh');
    expect(cli(['frobnicate']).status).toBe(2);
    expect(cli(['refresh', '--no-such-flag']).status).toBe(2);
    for (const command of ['generate', 'schemas']) expect(cli([command, '--help']).status).toBe(0);
    // Checked before the sample lake is generated for it.
    const badDay = cli(['refresh', '--as-of', '2026-02-30']);
    expect(badDay.status).toBe(2);
    expect(badDay.stderr).toContain('--as-of 2026-02-30: expected a calendar date as YYYY-MM-DD');
    const badLimit = cli(['refresh', '--lake', '.', '--memory-limit', 'lots']);
    expect(badLimit.status).toBe(2);
    expect(badLimit.stderr).toContain('--memory-limit lots: expected a size such as 1400MB or 2.5GB');
    const fileOut = cli(['refresh', '--lake', '.', '--out', 'package.json']);
    expect(fileOut.status).toBe(2);
    expect(fileOut.stderr).toContain('--out package.json is a file, not a folder');
  });

  it('with no options (npm start) generates the sample lake, publishes a run and says why it recomputed in full', async () => {
    const cwd = await tempDir('cli-start');
    const first = cli(['refresh'], cwd);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/generating a sample lake of 20,000 customers in \.data\/sample-lake/);
    expect(first.stderr).toMatch(/orders \(365 files, parquet\), customers \(1 file, csv\)/);
    expect(first.stdout).toContain('Refresh: full — a new sample lake was generated, so no earlier feature state describes it');
    // The sample lake's last day is the day before the as-of date, in both dated tables.
    expect(first.stdout).toMatch(/^Newest rows: orders \d{4}-\d{2}-\d{2} \(1 day old\), events \d{4}-\d{2}-\d{2} \(1 day old\)$/m);
    const latest = JSON.parse(await readFile(path.join(cwd, '.data', 'out', 'latest.json'), 'utf8'));
    const segments = JSON.parse(await readFile(path.join(cwd, '.data', 'out', latest.prefix, 'segments.json'), 'utf8'));
    expectAlignedSummary(first.stdout, segments);
    // Net revenue in the reporting currency of the default config.
    const revenue = Math.round(segments.revenue).toLocaleString('en-US');
    expect(first.stdout).toContain(`Customers ${segments.customers.toLocaleString('en-US')}, net revenue €${revenue}, coverage 100.0%`);
    // The same day again: the lake is reused, and the reason is the state's, not the lake's.
    const again = cli(['refresh'], cwd);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('generating a sample lake');
    expect(again.stdout).toMatch(/Refresh: full — the feature state already covers \d{4}-\d{2}-\d{2}/);
    // The next night continues that state: its row counts are the new partitions', and the summary says so.
    const previous = JSON.parse(await readFile(path.join(cwd, '.data', 'out', 'latest.json'), 'utf8'));
    const nextDay = new Date(Date.parse(`${previous.as_of}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const next = cli(['refresh', '--lake', '.data/sample-lake', '--out', '.data/out', '--as-of', nextDay], cwd);
    expect(next.status, next.stderr).toBe(0);
    expect(next.stdout).toContain(`Refresh: incremental — partitions after ${previous.as_of}`);
    expect(next.stdout).toContain(`  (orders and events: only the day partitions after ${previous.as_of}; earlier days come from the feature state of run ${previous.run_id})`);
  }, 180_000);

  it('names the bad path of a config file and exits 3 before running anything', async () => {
    const dir = await tempDir('cli-config');
    const config = path.join(dir, 'segments.config.json');
    await writeFile(config, JSON.stringify({ version: 1, segments: [{ id: 'vip', name: 'VIP', rule: { all: [{ feature: 'monetary', op: 'gte', value: 'lots' }] } }] }));
    await mkdir(path.join(dir, 'lake', 'orders'), { recursive: true });
    const result = cli(['refresh', '--lake', path.join(dir, 'lake'), '--out', path.join(dir, 'out'), '--config', config]);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('segments[0].rule.all[0].value');
    expect(result.stderr).toContain(config);
  });

  it('exits 3 with the folder named when the required orders table is missing', async () => {
    const dir = await tempDir('cli-lake');
    await mkdir(path.join(dir, 'lake', 'customers'), { recursive: true });
    // A valid buffer size gets as far as reading the lake.
    const result = cli(['refresh', '--lake', path.join(dir, 'lake'), '--out', path.join(dir, 'out'), '--as-of', '2026-01-01', '--memory-limit', '512MB']);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/no orders\/ data/);
  });

  it('exits 3 naming the file and column when a required column is missing', async () => {
    const dir = await tempDir('cli-column');
    await mkdir(path.join(dir, 'lake', 'orders'), { recursive: true });
    await writeFile(path.join(dir, 'lake', 'orders', 'o.csv'), 'order_id,customer,order_ts,amount\no1,c1,2026-01-01T00:00:00Z,3\n');
    const result = cli(['refresh', '--lake', path.join(dir, 'lake'), '--out', path.join(dir, 'out'), '--as-of', '2026-01-01']);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('orders/o.csv');
    expect(result.stderr).toContain('"customer_id"');
    // Control bytes in a header are shown escaped, not written to the terminal.
    await writeFile(path.join(dir, 'lake', 'orders', 'o.csv'), '\u0000\u0001x,customer_id,order_ts,amount\no1,c1,2026-01-01T00:00:00Z,3\n');
    const binary = cli(['refresh', '--lake', path.join(dir, 'lake'), '--out', path.join(dir, 'out'), '--as-of', '2026-01-01']);
    expect(binary.status).toBe(3);
    expect(binary.stderr).not.toContain('\u0000');
    expect(binary.stderr).toContain('found: "\\u0000\\u0001x", customer_id');
  });

  it('exits 4 with a clear message when the orders input is empty (0-byte and header-only files), and publishes nothing', async () => {
    const dir = await tempDir('cli-empty');
    await mkdir(path.join(dir, 'lake', 'orders'), { recursive: true });
    await writeFile(path.join(dir, 'lake', 'orders', 'empty.csv'), '');
    await writeFile(path.join(dir, 'lake', 'orders', 'header-only.csv'), 'order_id,customer_id,order_ts,amount\n');
    const result = cli(['refresh', '--lake', path.join(dir, 'lake'), '--out', path.join(dir, 'out'), '--as-of', '2026-01-01']);
    expect(result.status).toBe(4);
    expect(result.stderr).toMatch(/orders: the input is empty \(0 rows/);
    expect(spawnSync('ls', [path.join(dir, 'out', 'latest.json')]).status).not.toBe(0);
  });

  it('exits 4 when every order row is bad, naming the quarantine folder and each reason, and publishes nothing', async () => {
    const dir = await tempDir('cli-all-bad');
    await mkdir(path.join(dir, 'lake', 'orders'), { recursive: true });
    await writeFile(
      path.join(dir, 'lake', 'orders', 'bad.csv'),
      'order_id,customer_id,order_ts,amount\no1,,2026-01-01T00:00:00Z,3\no2,c2,notadate,4\no3,c3,2026-01-02T00:00:00Z,abc\n',
    );
    const result = cli(['refresh', '--lake', path.join(dir, 'lake'), '--out', path.join(dir, 'out'), '--as-of', '2026-01-03']);
    expect(result.status).toBe(4);
    expect(result.stderr).toMatch(/orders: 100% of rows were quarantined \(limit \d+%\); see runs\/[^/]+\/quarantine\/orders/);
    expect(result.stderr).toContain('orders: no accepted rows, nothing to segment');
    expect(result.stderr).toContain('no table has an accepted row');
    expect(result.stderr).not.toContain('∞');
    const quality = JSON.parse(await readFile(path.join(dir, 'out', /see (runs\/[^/]+)\//.exec(result.stderr)![1]!, 'quality.json'), 'utf8'));
    expect(quality.tables.orders.rejected_by_reason).toEqual({ missing_customer_id: 1, bad_timestamp: 1, non_numeric_amount: 1 });
    expect(spawnSync('ls', [path.join(dir, 'out', 'latest.json')]).status).not.toBe(0);
  });

  it('exits 4 when the quality gate refuses stale data, and publishes nothing', async () => {
    const dir = await tempDir('cli-stale');
    await mkdir(path.join(dir, 'lake', 'orders'), { recursive: true });
    await writeFile(path.join(dir, 'lake', 'orders', 'o.csv'), 'order_id,customer_id,order_ts,amount\no1,c1,2025-01-01T00:00:00Z,3\n');
    const result = cli(['refresh', '--lake', path.join(dir, 'lake'), '--out', path.join(dir, 'out'), '--as-of', '2026-01-01']);
    expect(result.status).toBe(4);
    expect(result.stderr).toMatch(/stale/);
    expect(spawnSync('ls', [path.join(dir, 'out', 'latest.json')]).status).not.toBe(0);
  });

  it('exits 1 naming the step and the buffer when DuckDB runs out of memory, and keeps the last complete run published', async () => {
    const dir = await tempDir('cli-memory');
    const lake = path.join(dir, 'lake');
    const out = path.join(dir, 'out');
    expect(cli(['generate', '--out', lake, '--customers', '300', '--seed', '3', '--as-of', '2026-03-31']).status).toBe(0);
    // Options the generator refuses, and a lake already there, are usage errors that leave the lake as it was.
    const again = cli(['generate', '--out', lake, '--customers', '300']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`--out ${lake} exists and is not empty; pass --overwrite`);
    expect(cli(['generate', '--out', lake, '--overwrite', '--customers', '0']).status).toBe(2);
    const ok = cli(['refresh', '--lake', lake, '--out', out, '--as-of', '2026-03-31']);
    expect(ok.status).toBe(0);
    expectAlignedSummary(ok.stdout, JSON.parse(await readFile(path.join(out, JSON.parse(await readFile(path.join(out, 'latest.json'), 'utf8')).prefix, 'segments.json'), 'utf8')));
    const published = await readFile(path.join(out, 'latest.json'), 'utf8');
    const starved = cli(['refresh', '--lake', lake, '--out', out, '--as-of', '2026-03-31', '--full', '--memory-limit', '64MB']);
    expect(starved.status).toBe(1);
    expect(starved.stderr).toMatch(/EngineOutOfMemoryError: DuckDB ran out of memory in step "[a-z ]+" with a 64MB buffer/);
    expect(starved.stderr).toContain('Run again with a larger --memory-limit');
    expect(await readFile(path.join(out, 'latest.json'), 'utf8')).toBe(published);
  });
});
