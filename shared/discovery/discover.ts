import type { DiscoverySummary } from '../contracts/outputs.ts';
import type { Row } from '../engines/query-engine.ts';
import { discoverySampleSql, discoveryStatsSql, type DiscoveryModel } from '../sql/discovery.ts';
import type { Relations } from '../sql/relations.ts';
import { DISCOVERY_FEATURES, centreInOriginalUnits, standardise, type DiscoveryFeature, type FeatureStats } from './features.ts';
import { chooseK } from './kmeans.ts';

/**
 * Persona discovery: k-means on a deterministic sample of customers, k chosen by the mean silhouette, centres
 * turned into SQL (sql/discovery.ts) that assigns every customer. The fit is pure (fitDiscovery); runDiscovery
 * adds the two queries it needs.
 */
export interface DiscoverySettings {
  minK: number;
  maxK: number;
  sampleCap: number;
  searchSample: number;
  silhouetteSample: number;
  restarts: number;
  seed: number;
  minCustomers: number;
}

export const DISCOVERY_SETTINGS: Readonly<DiscoverySettings> = {
  /** Candidate numbers of personas: few, each detailed enough to act on. */
  minK: 3,
  maxK: 10,
  /** Customers the k-means is fitted on (every n-th customer by id). */
  sampleCap: 10_000,
  /** Points the candidate k are fitted on (every n-th of the sample); the chosen k is refitted on the whole sample. */
  searchSample: 4_000,
  /** Points the silhouette is computed on (it is O(n²)); every n-th point of the search sample. */
  silhouetteSample: 2_000,
  restarts: 3,
  seed: 20_240_601,
  /** Below this many customers there is nothing to discover; the run goes on without discovered segments. */
  minCustomers: 100,
};

export const DISCOVERED_PREFIX = 'discovered_';

export interface DiscoveredCluster {
  segmentId: string;
  sampleCustomers: number;
  /** Standardised centre, per feature id. */
  centreZ: Record<string, number>;
  /** The centre in the features' own units (see DiscoveryFeature.toOriginal). */
  centre: Record<string, number>;
}

export interface DiscoveryOutcome {
  status: 'ok' | 'skipped';
  reason?: string;
  population: number;
  sampleSize: number;
  features: readonly DiscoveryFeature[];
  stats: FeatureStats[];
  k: number | null;
  candidates: { k: number; silhouette: number; inertia: number }[];
  clusters: DiscoveredCluster[];
  /** Present when status is 'ok': what the assignment SQL needs. */
  model?: DiscoveryModel;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Means and deviations rounded to 10 significant digits: a parallel aggregate adds doubles in whatever order the
 * threads finish, so the last bits differ from run to run; rounded, reruns get the same model and the same SQL.
 */
const stable = (v: number) => (v === 0 ? 0 : Number(v.toPrecision(10)));

export function statsFromRow(row: Row, features: readonly DiscoveryFeature[] = DISCOVERY_FEATURES): { population: number; stats: FeatureStats[] } {
  return {
    population: Number(row.customers ?? 0),
    stats: features.map((_, j) => ({ mean: stable(num(row[`mean_${j}`]) ?? 0), stddev: stable(num(row[`sd_${j}`]) ?? 0) })),
  };
}

/** The sample rows standardised with the population's statistics (missing → 0). */
export function samplePoints(rows: readonly Row[], stats: readonly FeatureStats[]): number[][] {
  return rows.map((r) => standardise(stats.map((_, j) => num(r[`x${j}`])), stats));
}

/** Fit on standardised sample points; clusters numbered by sample size, largest first (ties: fit order). */
export function fitDiscovery(input: {
  population: number;
  stats: FeatureStats[];
  points: number[][];
  features?: readonly DiscoveryFeature[];
  settings?: DiscoverySettings;
}): DiscoveryOutcome {
  const features = input.features ?? DISCOVERY_FEATURES;
  const s = input.settings ?? DISCOVERY_SETTINGS;
  const base = { population: input.population, sampleSize: input.points.length, features, stats: input.stats, candidates: [], clusters: [] };
  if (input.population < s.minCustomers || input.points.length < s.minK * 10) {
    return { ...base, status: 'skipped', reason: `${input.population} customers, ${input.points.length} sampled: too few to discover personas (need ${s.minCustomers})`, k: null };
  }
  const choice = chooseK(input.points, { minK: s.minK, maxK: s.maxK, seed: s.seed, restarts: s.restarts, silhouetteSample: s.silhouetteSample, searchSample: s.searchSample });
  const sizes = new Array<number>(choice.k).fill(0);
  for (const l of choice.fit.labels) sizes[l]!++;
  const order = sizes.map((size, index) => ({ size, index })).sort((a, b) => b.size - a.size || a.index - b.index);
  const centres = order.map((o) => choice.fit.centres[o.index]!);
  const segmentIds = order.map((_, i) => `${DISCOVERED_PREFIX}${i + 1}`);
  const clusters = order.map((o, i) => ({
    segmentId: segmentIds[i]!,
    sampleCustomers: o.size,
    centreZ: Object.fromEntries(features.map((f, j) => [f.id, centres[i]![j]!])),
    centre: centreInOriginalUnits(centres[i]!, input.stats, features),
  }));
  return {
    ...base,
    status: 'ok',
    k: choice.k,
    candidates: choice.candidates,
    clusters,
    model: { features, stats: input.stats, centres, segmentIds },
  };
}

/** Statistics over all customers, the sample, the fit. Two queries; the fit runs in this process. */
export async function runDiscovery(
  query: (step: string, sql: string) => Promise<Row[]>,
  rel: Relations,
  settings: DiscoverySettings = DISCOVERY_SETTINGS,
): Promise<DiscoveryOutcome> {
  const { population, stats } = statsFromRow((await query('discovery stats', discoveryStatsSql(rel)))[0] ?? {});
  if (population < settings.minCustomers) return fitDiscovery({ population, stats, points: [], settings });
  const step = Math.max(1, Math.ceil(population / settings.sampleCap));
  const rows = await query('discovery sample', discoverySampleSql(rel, step));
  return fitDiscovery({ population, stats, points: samplePoints(rows, stats), settings });
}

const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** The `discovery` block of segments.json: what a marketer needs to see why these personas. */
export function discoverySummary(outcome: DiscoveryOutcome, names: ReadonlyMap<string, string>, settings: DiscoverySettings = DISCOVERY_SETTINGS): DiscoverySummary {
  const roundAll = (record: Record<string, number>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, r6(v)]));
  return {
    status: outcome.status,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    method: `k-means (k-means++ seeding, ${settings.restarts} seeded restarts per k, Lloyd iterations) on standardised features of a systematic sample of customers (every n-th by customer_id, at most ${settings.sampleCap}); every customer is then assigned to the nearest centre in SQL`,
    criterion: `highest mean silhouette over k = ${settings.minK}..${settings.maxK}; each k fitted on at most ${settings.searchSample} sampled customers, the silhouette on at most ${settings.silhouetteSample} of them; ties go to the smaller k; the chosen k is refitted on the whole sample`,
    k: outcome.k,
    k_range: [settings.minK, settings.maxK],
    customers: outcome.population,
    sample_size: outcome.sampleSize,
    silhouette_sample_size: Math.min(outcome.sampleSize, settings.silhouetteSample),
    seed: settings.seed,
    restarts: settings.restarts,
    features: outcome.features.map((f, j) => ({ id: f.id, description: f.description, mean: r6(outcome.stats[j]!.mean), stddev: r6(outcome.stats[j]!.stddev) })),
    candidates: outcome.candidates.map((c) => ({ k: c.k, silhouette: r6(c.silhouette), inertia: r6(c.inertia) })),
    clusters: outcome.clusters.map((c) => ({
      segment_id: c.segmentId,
      name: names.get(c.segmentId) ?? c.segmentId,
      sample_customers: c.sampleCustomers,
      centre: roundAll(c.centre),
      centre_z: roundAll(c.centreZ),
    })),
  };
}
