/**
 * k-means for persona discovery: pure functions over standardised points (arrays of equal length).
 *
 * - k-means++ seeding (Arthur & Vassilvitskii 2007) driven by a seeded PRNG, so a fit is a function of
 *   (points, k, seed): reruns give the same centres.
 * - Lloyd iterations until no label changes (or `maxIterations`); an emptied cluster is re-seeded with the point
 *   farthest from its centre, so a fit always has k non-empty clusters when there are ≥ k distinct points.
 * - `restarts` independent seedings, keeping the lowest inertia (sum of squared distances to the nearest centre).
 * - Ties in the nearest-centre search go to the lowest cluster index — the same rule as the SQL assignment.
 */

export type Point = readonly number[];

export interface KMeansFit {
  k: number;
  centres: number[][];
  labels: number[];
  inertia: number;
  iterations: number;
}

export interface KMeansOptions {
  seed?: number;
  restarts?: number;
  maxIterations?: number;
}

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function squaredDistance(a: Point, b: Point): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum;
}

/** Index of the nearest centre; ties go to the lowest index. */
export function nearestCentre(point: Point, centres: readonly Point[]): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < centres.length; c++) {
    const d = squaredDistance(point, centres[c]!);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

/** k-means++: the first centre uniformly, each next one with probability proportional to D(x)². */
export function kmeansPlusPlus(points: readonly Point[], k: number, random: () => number): number[][] {
  const n = points.length;
  const centres: number[][] = [[...points[Math.floor(random() * n)]!]];
  const d2 = points.map((p) => squaredDistance(p, centres[0]!));
  while (centres.length < k) {
    const total = d2.reduce((a, b) => a + b, 0);
    let index: number;
    if (total === 0) {
      index = Math.floor(random() * n);
    } else {
      let target = random() * total;
      index = 0;
      for (; index < n - 1; index++) {
        target -= d2[index]!;
        if (target < 0) break;
      }
    }
    const centre = [...points[index]!];
    centres.push(centre);
    for (let i = 0; i < n; i++) d2[i] = Math.min(d2[i]!, squaredDistance(points[i]!, centre));
  }
  return centres;
}

/** Points as one row-major Float64Array: the hot loops below run on it. */
function flatten(points: readonly Point[]): { data: Float64Array; n: number; dims: number } {
  const n = points.length;
  const dims = points[0]?.length ?? 0;
  const data = new Float64Array(n * dims);
  for (let i = 0; i < n; i++) for (let j = 0; j < dims; j++) data[i * dims + j] = points[i]![j]!;
  return { data, n, dims };
}

/** Index of the centre nearest to the point at data[base…] (ties: lowest index); its squared distance goes to out[0]. */
function nearestFlat(data: Float64Array, base: number, centres: Float64Array, k: number, dims: number, out: Float64Array): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    const cb = c * dims;
    let d = 0;
    for (let j = 0; j < dims; j++) {
      const diff = data[base + j]! - centres[cb + j]!;
      d += diff * diff;
    }
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  out[0] = bestDistance;
  return best;
}

/** Lloyd's algorithm from the given centres. */
export function lloyd(points: readonly Point[], initial: readonly Point[], maxIterations = 100): KMeansFit {
  const { data, n, dims } = flatten(points);
  const k = initial.length;
  const centres = new Float64Array(k * dims);
  initial.forEach((c, ci) => c.forEach((v, j) => (centres[ci * dims + j] = v)));
  const labels = new Int32Array(n).fill(-1);
  const sums = new Float64Array(k * dims);
  const counts = new Int32Array(k);
  const out = new Float64Array(1);
  const nearest = (i: number): number => nearestFlat(data, i * dims, centres, k, dims, out);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const label = nearest(i);
      if (label !== labels[i]) {
        labels[i] = label;
        changed++;
      }
    }
    if (changed === 0 && iterations > 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const cb = labels[i]! * dims;
      for (let j = 0; j < dims; j++) sums[cb + j]! += data[i * dims + j]!;
      counts[labels[i]!]!++;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) for (let j = 0; j < dims; j++) centres[c * dims + j] = sums[c * dims + j]! / counts[c]!;
    }
    // An empty cluster takes the point farthest from its centre (the first such point), so k clusters remain.
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) continue;
      let far = -1;
      let farDistance = -1;
      for (let i = 0; i < n; i++) {
        nearest(i);
        const d = out[0]!;
        if (d > farDistance) {
          farDistance = d;
          far = i;
        }
      }
      if (far < 0) continue;
      for (let j = 0; j < dims; j++) centres[c * dims + j] = data[far * dims + j]!;
      labels[far] = c;
      counts[c] = 1;
    }
  }
  // Final labels against the final centres, and the inertia they give.
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    labels[i] = nearest(i);
    inertia += out[0]!;
  }
  const centreRows = Array.from({ length: k }, (_, c) => Array.from(centres.subarray(c * dims, (c + 1) * dims)));
  return { k, centres: centreRows, labels: Array.from(labels), inertia, iterations };
}

/** Best of `restarts` k-means++ seedings (lowest inertia; the earliest restart wins a tie). */
export function kmeans(points: readonly Point[], k: number, options: KMeansOptions = {}): KMeansFit {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer; got ${k}`);
  if (points.length < k) throw new RangeError(`k-means needs at least k = ${k} points; got ${points.length}`);
  const random = seededRandom(options.seed ?? 1);
  let best: KMeansFit | undefined;
  for (let r = 0; r < (options.restarts ?? 5); r++) {
    const fit = lloyd(points, kmeansPlusPlus(points, k, random), options.maxIterations ?? 100);
    if (!best || fit.inertia < best.inertia) best = fit;
  }
  return best!;
}

/**
 * Mean silhouette coefficient (Rousseeuw 1987) with Euclidean distances: per point s = (b − a) / max(a, b), a the
 * mean distance to its own cluster, b the smallest mean distance to another cluster; 0 for a point alone in its
 * cluster. O(n²): callers pass a sub-sample.
 */
export function silhouette(points: readonly Point[], labels: readonly number[], k: number): number {
  const { data, n, dims } = flatten(points);
  if (n < 2 || k < 2) return 0;
  const sizes = new Float64Array(k);
  for (const l of labels) sizes[l]!++;
  // Pairwise distances once (symmetric), summed per (point, cluster of the other point).
  const sums = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const bi = i * dims;
    const li = labels[i]!;
    for (let j = i + 1; j < n; j++) {
      const bj = j * dims;
      let d = 0;
      for (let t = 0; t < dims; t++) {
        const diff = data[bi + t]! - data[bj + t]!;
        d += diff * diff;
      }
      d = Math.sqrt(d);
      sums[i * k + labels[j]!]! += d;
      sums[j * k + li]! += d;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = labels[i]!;
    if (sizes[own]! <= 1) continue;
    const a = sums[i * k + own]! / (sizes[own]! - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, sums[i * k + c]! / sizes[c]!);
    if (!Number.isFinite(b)) continue;
    const max = Math.max(a, b);
    total += max > 0 ? (b - a) / max : 0;
  }
  return total / n;
}

/** Every `step`-th point (from the first), at most `limit` points: a deterministic sub-sample. */
export function everyNth<T>(items: readonly T[], limit: number): { items: T[]; indices: number[] } {
  const step = Math.max(1, Math.ceil(items.length / limit));
  const indices: number[] = [];
  for (let i = 0; i < items.length; i += step) indices.push(i);
  return { items: indices.map((i) => items[i]!), indices };
}

export interface KChoice {
  k: number;
  fit: KMeansFit;
  /** Per candidate k: the silhouette and the inertia of that k's fit on the search sub-sample. */
  candidates: { k: number; silhouette: number; inertia: number }[];
}

/**
 * Fit k-means for each k in [minK, maxK] on a deterministic search sub-sample (at most `searchSample` points) and
 * keep the k with the highest mean silhouette (on at most `silhouetteSample` of those points); ties go to the
 * smaller k. The chosen k is then fitted on all `points` with the same seed.
 */
export function chooseK(
  points: readonly Point[],
  options: { minK: number; maxK: number; seed?: number; restarts?: number; silhouetteSample?: number; searchSample?: number },
): KChoice {
  const maxK = Math.min(options.maxK, points.length);
  const search = everyNth(points, options.searchSample ?? points.length).items;
  const sub = everyNth(search, options.silhouetteSample ?? 2_000);
  const seedFor = (k: number) => (options.seed ?? 1) + k;
  const candidates: KChoice['candidates'] = [];
  let best: { k: number; fit: KMeansFit; score: number } | undefined;
  for (let k = options.minK; k <= Math.min(maxK, search.length); k++) {
    const fit = kmeans(search, k, { seed: seedFor(k), restarts: options.restarts ?? 5 });
    const score = silhouette(sub.items, sub.indices.map((i) => fit.labels[i]!), k);
    candidates.push({ k, silhouette: score, inertia: fit.inertia });
    if (!best || score > best.score) best = { k, fit, score };
  }
  if (!best) throw new RangeError(`no k to try between ${options.minK} and ${options.maxK} with ${points.length} points`);
  const fit = search.length === points.length ? best.fit : kmeans(points, best.k, { seed: seedFor(best.k), restarts: options.restarts ?? 5 });
  return { k: best.k, fit, candidates };
}

/**
 * Adjusted Rand index (Hubert & Arabie 1985) between two labelings of the same items: 1 for identical partitions
 * (up to renaming), about 0 for independent ones.
 */
export function adjustedRandIndex(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  if (a.length !== b.length) throw new RangeError('labelings differ in length');
  const n = a.length;
  const choose2 = (x: number) => (x * (x - 1)) / 2;
  const table = new Map<string, number>();
  const rows = new Map<string | number, number>();
  const cols = new Map<string | number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${String(a[i])}\u0000${String(b[i])}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i]!, (rows.get(a[i]!) ?? 0) + 1);
    cols.set(b[i]!, (cols.get(b[i]!) ?? 0) + 1);
  }
  let index = 0;
  for (const v of table.values()) index += choose2(v);
  let sumRows = 0;
  for (const v of rows.values()) sumRows += choose2(v);
  let sumCols = 0;
  for (const v of cols.values()) sumCols += choose2(v);
  const expected = (sumRows * sumCols) / choose2(n);
  const max = (sumRows + sumCols) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
