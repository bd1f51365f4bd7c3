/**
 * `npm run bench:discovery`: how well the discovered segments recover the generator's planted archetypes, through
 * the whole refresh (not the test's shortcut), and what the discovery costs.
 *
 *   npm run bench:discovery -- [--customers 4000,20000] [--seed 7]
 *
 * For each size: generate a lake (cached under .data/discovery-<N>), run the refresh, read `discovered_segment`
 * from the published customer_segments Parquet and the ground truth from _meta/archetypes.csv (which the
 * clustering never sees), and report k, the silhouette per k, the adjusted Rand index overall and without the
 * closest pair (lapsed/regular), and the discovery stage's time. Results: bench/results/discovery.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { adjustedRandIndex } from '../shared/discovery/kmeans.ts';
import { generateLake } from '../shared/generate/generate-lake.ts';
import { refreshLocal } from '../shared/pipeline/local.ts';
import { sqlString } from '../shared/sql/literals.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '4000,20000' },
    seed: { type: 'string', default: '7' },
    'as-of': { type: 'string', default: '2026-06-30' },
  },
});
const sizes = (values.customers ?? '4000').split(',').map(Number);
const seed = Number(values.seed);
const asOf = values['as-of'] ?? '2026-06-30';

async function discoveredLabels(parquetDir: string): Promise<Map<string, string>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT customer_id, discovered_segment FROM read_parquet(${sqlString(path.join(parquetDir, '*.parquet'))})`,
    );
    return new Map(reader.getRowObjectsJson().map((r) => [String(r.customer_id), String(r.discovered_segment)]));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const results = [];
for (const customers of sizes) {
  const lake = `.data/discovery-${customers}`;
  if (!existsSync(path.join(lake, '_meta', 'archetypes.csv'))) {
    process.stderr.write(`generating ${customers} customers into ${lake} …\n`);
    await generateLake({ customers, seed, out: lake, asOf, overwrite: true });
  }
  const out = path.join(os.tmpdir(), `discovery-bench-${customers}`);
  await rm(out, { recursive: true, force: true });
  const result = await refreshLocal({ lakeDir: lake, outDir: out, asOf });
  const labels = await discoveredLabels(path.join(out, result.prefix, 'customer_segments'));
  const truthText = await readFile(path.join(lake, '_meta', 'archetypes.csv'), 'utf8');
  const truth = new Map(truthText.trim().split('\n').slice(1).map((line) => line.split(',') as [string, string]));
  const ids = [...truth.keys()].filter((id) => labels.has(id));
  const ari = (subset: string[]) => adjustedRandIndex(subset.map((id) => labels.get(id)!), subset.map((id) => truth.get(id)!));
  const others = ids.filter((id) => !['lapsed', 'regular'].includes(truth.get(id)!));
  const discovery = result.segments.discovery;
  const row = {
    customers,
    seed,
    k: discovery?.k ?? null,
    silhouette_by_k: Object.fromEntries((discovery?.candidates ?? []).map((c) => [c.k, Number(c.silhouette.toFixed(3))])),
    sample_size: discovery?.sample_size ?? null,
    labelled_customers: ids.length,
    ari: Number(ari(ids).toFixed(3)),
    ari_without_lapsed_regular: Number(ari(others).toFixed(3)),
    discovery_seconds: Number(((result.stages.find((s) => s.stage === 'discovery')?.ms ?? 0) / 1000).toFixed(2)),
    refresh_seconds: Number((result.stages.reduce((sum, s) => sum + s.ms, 0) / 1000).toFixed(2)),
  };
  results.push(row);
  process.stdout.write(
    `${customers.toLocaleString('en-US')} customers: k = ${row.k}, ARI ${row.ari} (${row.ari_without_lapsed_regular} without lapsed/regular), discovery ${row.discovery_seconds} s of ${row.refresh_seconds} s\n`,
  );
  await rm(out, { recursive: true, force: true });
}
await mkdir('bench/results', { recursive: true });
await writeFile(
  'bench/results/discovery.json',
  `${JSON.stringify({ measured_at: new Date().toISOString(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`, results }, null, 2)}\n`,
);
process.stdout.write('written to bench/results/discovery.json\n');
