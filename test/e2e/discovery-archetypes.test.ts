import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { kmeans as mlKmeans } from 'ml-kmeans';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiscovery, samplePoints, type DiscoveryOutcome } from '../../shared/discovery/discover.ts';
import { adjustedRandIndex, kmeans, nearestCentre, squaredDistance } from '../../shared/discovery/kmeans.ts';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import { discoverySampleSql } from '../../shared/sql/discovery.ts';
import { customerSegmentsSql, membershipsSql } from '../../shared/sql/segments.ts';
import { buildFeatures, tempDir } from '../helpers/duckdb.ts';

/**
 * Persona discovery on a generated lake with planted archetypes: the statements the refresh runs (stage,
 * features, discovery, customer_segments with the assignment), then the discovered segments against the ground
 * truth in _meta/archetypes.csv — which the clustering never sees.
 */
const AS_OF = '2026-06-30';
let lake: string;
let engine: DuckDbQueryEngine;
let outcome: DiscoveryOutcome;
let assigned: Map<string, string>;
let truth: Map<string, string>;

beforeAll(async () => {
  lake = path.join(await tempDir('discovery-lake'), 'lake');
  await generateLake({ customers: 4_000, seed: 7, out: lake, asOf: AS_OF });
  const text = await readFile(path.join(lake, '_meta', 'archetypes.csv'), 'utf8');
  truth = new Map(text.trim().split('\n').slice(1).map((line) => line.split(',') as [string, string]));
  engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 });
  await engine.prepareInputs();
  const config = defaultSegmentsConfig();
  const rel = engine.relations;
  await buildFeatures(engine, AS_OF, config);
  outcome = await runDiscovery((step, sql) => engine.query(step, sql), rel);
  await engine.materialize('segments', 'customer_segments', customerSegmentsSql(rel, config, AS_OF, 5, outcome.model));
  const rows = await engine.query('assigned', `SELECT customer_id, discovered_segment FROM ${rel.customer_segments}`);
  assigned = new Map(rows.map((r) => [String(r.customer_id), String(r.discovered_segment)]));
});

afterAll(async () => {
  await engine?.close();
});

describe('persona discovery on planted archetypes', () => {
  it('chooses k by silhouette within the bounds and assigns every customer', () => {
    expect(outcome.status).toBe('ok');
    expect(outcome.candidates.map((c) => c.k)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    const best = Math.max(...outcome.candidates.map((c) => c.silhouette));
    expect(outcome.candidates.find((c) => c.k === outcome.k)?.silhouette).toBe(best);
    expect(assigned.size).toBe(outcome.population);
    const ids = new Set(assigned.values());
    expect([...ids].sort()).toEqual(Array.from({ length: outcome.k! }, (_, i) => `discovered_${i + 1}`).sort());
    console.info(`discovery: k = ${outcome.k}, sample ${outcome.sampleSize} of ${outcome.population}; silhouette per k: ${outcome.candidates.map((c) => `${c.k}:${c.silhouette.toFixed(3)}`).join(' ')}`);
  });

  it('recovers the planted archetypes (adjusted Rand index)', () => {
    const ids = [...assigned.keys()].filter((id) => truth.has(id));
    expect(ids.length).toBeGreaterThan(3_900);
    const ari = adjustedRandIndex(ids.map((id) => assigned.get(id)!), ids.map((id) => truth.get(id)!));
    // The seven archetypes other than lapsed and regular also on their own: those two are the closest pair (both
    // buy everyday goods at similar values; only recency tells them apart).
    const others = ids.filter((id) => !['lapsed', 'regular'].includes(truth.get(id)!));
    const ariOthers = adjustedRandIndex(others.map((id) => assigned.get(id)!), others.map((id) => truth.get(id)!));
    console.info(`discovery ARI vs planted archetypes: ${ari.toFixed(3)} overall, ${ariOthers.toFixed(3)} on the ${others.length} customers of the seven archetypes other than lapsed/regular`);
    expect(ari).toBeGreaterThanOrEqual(0.8);
    expect(ariOthers).toBeGreaterThan(0.9);
  });

  it('assigns in SQL exactly what the TypeScript nearest-centre function gives on the same rows', async () => {
    const model = outcome.model!;
    const rows = await engine.query('all features', discoverySampleSql(engine.relations, 1));
    const points = samplePoints(rows, model.stats);
    rows.forEach((row, i) => {
      expect(assigned.get(String(row.customer_id)), String(row.customer_id)).toBe(model.segmentIds[nearestCentre(points[i]!, model.centres)]);
    });
  });

  it('adds one discovered membership per customer to the memberships', async () => {
    const members = membershipsSql(engine.relations.customer_segments, ['customer_id']);
    const rows = await engine.query('members', `SELECT count(*) AS n, count(DISTINCT customer_id) AS c FROM (${members}) AS m WHERE kind = 'discovered'`);
    expect(Number(rows[0]?.n)).toBe(outcome.population);
    expect(Number(rows[0]?.c)).toBe(outcome.population);
  });

  it('agrees with ml-kmeans on the same standardised sample and k', async () => {
    const model = outcome.model!;
    const step = Math.max(1, Math.ceil(outcome.population / 10_000));
    const points = samplePoints(await engine.query('sample', discoverySampleSql(engine.relations, step)), model.stats);
    const k = outcome.k!;
    const ours = kmeans(points, k, { seed: 20_240_601 + k, restarts: 3 });
    // ml-kmeans: k-means++ too, one seeding per call; best of as many seeds as our restarts.
    let theirs: { labels: number[]; inertia: number } | undefined;
    for (const seed of [1, 2, 3]) {
      const r = mlKmeans(points, k, { seed, initialization: 'kmeans++', maxIterations: 300 });
      const inertia = points.reduce((sum, p, i) => sum + squaredDistance(p, r.centroids[r.clusters[i]!]!), 0);
      if (!theirs || inertia < theirs.inertia) theirs = { labels: r.clusters, inertia };
    }
    const ari = adjustedRandIndex(ours.labels, theirs!.labels);
    console.info(`ml-kmeans comparison (k = ${k}, ${points.length} points): ARI between labelings ${ari.toFixed(3)}, inertia ours ${ours.inertia.toFixed(1)} vs ml-kmeans ${theirs!.inertia.toFixed(1)}`);
    expect(ari).toBeGreaterThan(0.9);
    expect(ours.inertia).toBeLessThanOrEqual(theirs!.inertia * 1.02);
  });
});
