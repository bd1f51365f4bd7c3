import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSegmentsConfig } from '../../shared/contracts/config.ts';
import { createLogger, jsonLinesSink } from '../../shared/logging.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { tempDir } from '../helpers/duckdb.ts';

/**
 * No customer identifiers or personal data in the logs: a lake whose ids, cities and e-mail addresses are
 * distinctive strings — in good rows, quarantined rows and malformed lines — is refreshed with every log record
 * captured (debug level included; a passing and a failing run), and none of the strings appears in any record.
 * Reject examples with raw values belong in quality.json (checked to be there), not in logs.
 */
const SECRETS = ['SECRETCUST', 'SECRETORDER', 'Zyxwvutopolis', 'secret.person@example.invalid'];

async function secretLake(): Promise<string> {
  const dir = await tempDir('privacy-lake');
  for (const t of ['orders', 'customers', 'events']) await mkdir(path.join(dir, t), { recursive: true });
  const ids = Array.from({ length: 30 }, (_, i) => `SECRETCUST-${String(i).padStart(4, '0')}`);
  await writeFile(
    path.join(dir, 'orders', 'o.csv'),
    [
      'order_id,customer_id,order_ts,amount,category',
      ...ids.map((id, i) => `SECRETORDER-${i},${id},2026-01-0${1 + (i % 9)}T10:00:00Z,${10 + i},toys`),
      `SECRETORDER-bad,${ids[0]},2026-01-05T10:00:00Z,not-a-number,toys`,
      `SECRETORDER-short,${ids[1]}`,
    ].join('\n'),
  );
  await writeFile(
    path.join(dir, 'customers', 'c.csv'),
    ['customer_id,city,email,birth_year', ...ids.map((id, i) => `${id},Zyxwvutopolis${i % 3},secret.person@example.invalid,${1980 + (i % 20)}`), `${ids[2]},Zyxwvutopolis,secret.person@example.invalid,eighteen`].join('\n'),
  );
  await writeFile(
    path.join(dir, 'events', 'e.jsonl'),
    [...ids.map((id) => JSON.stringify({ customer_id: id, event_ts: '2026-01-05T10:00:00Z', event_type: 'page_view' })), `{"customer_id": "${ids[3]}", "email": "secret.person@example.invalid"`].join('\n'),
  );
  return dir;
}

const leaks = (text: string) => SECRETS.filter((s) => text.includes(s));

describe('logs carry no personal data', () => {
  it('in a published and a refused run, at debug level', async () => {
    const lakeDir = await secretLake();
    for (const maxRejectedShare of [0.5, 0]) {
      const lines: string[] = [];
      const log = createLogger(jsonLinesSink((line) => lines.push(line)));
      const run = refreshLocal({ lakeDir, outDir: await tempDir('privacy-out'), asOf: '2026-01-10', log, config: parseSegmentsConfig({ version: 1, rfm: { minBuyersForQuintiles: 5 }, quality: { maxRejectedShare } }) });
      const result = await run.catch(() => undefined);
      if (maxRejectedShare > 0) {
        // The reject examples with the raw values are in quality.json.
        expect(JSON.stringify(result!.quality.tables.orders!.examples)).toContain('SECRETORDER-bad');
      } else {
        expect(result).toBeUndefined();
        expect(lines.some((l) => l.includes('refresh failed'))).toBe(true);
      }
      expect(lines.length).toBeGreaterThan(5);
      expect(leaks(lines.join('\n'))).toEqual([]);
    }
  });

  it('from the CLI with --json-logs', async () => {
    const lakeDir = await secretLake();
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.resolve('shared/cli/main.ts'), 'refresh', '--lake', lakeDir, '--out', await tempDir('privacy-cli'), '--as-of', '2026-01-10', '--json-logs'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    const records = result.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(records.length).toBeGreaterThan(5);
    for (const r of records) expect(() => JSON.parse(r)).not.toThrow();
    // Every record, the engine's query timings and the lease's included, names the run it belongs to.
    expect([...new Set(records.map((r) => (JSON.parse(r) as { run_id?: string }).run_id))]).toEqual([expect.stringMatching(/^2026-01-10_/)]);
    expect(leaks(result.stderr)).toEqual([]);
  });
});
