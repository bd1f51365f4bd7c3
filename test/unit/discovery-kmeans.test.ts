import { describe, expect, it } from 'vitest';
import { fitDiscovery, DISCOVERY_SETTINGS } from '../../shared/discovery/discover.ts';
import { DISCOVERY_FEATURES, standardise } from '../../shared/discovery/features.ts';
import { adjustedRandIndex, chooseK, kmeans, nearestCentre, seededRandom, silhouette } from '../../shared/discovery/kmeans.ts';
import { discoveredSegmentRefs } from '../../shared/segments/summarize.ts';

/** Gaussian blobs around the given centres (Box–Muller on the seeded PRNG). */
function blobs(centres: number[][], perBlob: number, sd: number, seed: number) {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const points: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < perBlob; i++) {
    centres.forEach((c, label) => {
      points.push(c.map((v) => v + sd * gauss()));
      truth.push(label);
    });
  }
  return { points, truth };
}

const FOUR = [[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]];

describe('adjusted Rand index', () => {
  it('is 1 for the same partition under any renaming', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], ['b', 'b', 'a', 'a', 'c', 'c'])).toBe(1);
  });
  it('matches known values', () => {
    // sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285715
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714, 9);
    // adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) is symmetric
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714, 9);
    // adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) = -0.5
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 9);
    // adjusted_rand_score([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) = 0.24242424242424243
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(0.2424242424, 9);
  });
  it('is about 0 for independent labelings', () => {
    const random = seededRandom(3);
    const a = Array.from({ length: 5000 }, () => Math.floor(random() * 4));
    const b = Array.from({ length: 5000 }, () => Math.floor(random() * 4));
    expect(Math.abs(adjustedRandIndex(a, b))).toBeLessThan(0.01);
  });
});

describe('k-means', () => {
  it('recovers well-separated blobs', () => {
    const { points, truth } = blobs(FOUR, 150, 0.6, 1);
    const fit = kmeans(points, 4, { seed: 7 });
    expect(adjustedRandIndex(fit.labels, truth)).toBe(1);
    for (const expected of FOUR) {
      const found = fit.centres[nearestCentre(expected, fit.centres)]!;
      found.forEach((v, j) => expect(Math.abs(v - expected[j]!)).toBeLessThan(0.2));
    }
  });

  it('is deterministic: the same seed gives the same centres, labels and inertia', () => {
    const { points } = blobs(FOUR, 100, 2.5, 2);
    const a = kmeans(points, 5, { seed: 11, restarts: 3 });
    const b = kmeans(points, 5, { seed: 11, restarts: 3 });
    expect(b).toEqual(a);
  });

  it('keeps the best of its restarts and every label is the nearest centre', () => {
    const { points } = blobs(FOUR, 100, 2.5, 4);
    const best = kmeans(points, 4, { seed: 5, restarts: 5 });
    const single = kmeans(points, 4, { seed: 5, restarts: 1 });
    expect(best.inertia).toBeLessThanOrEqual(single.inertia);
    points.forEach((p, i) => expect(best.labels[i]).toBe(nearestCentre(p, best.centres)));
  });

  it('breaks ties in the nearest-centre search towards the lowest index', () => {
    expect(nearestCentre([0, 0], [[1, 0], [-1, 0], [0, 1]])).toBe(0);
    expect(nearestCentre([0, 0], [[2, 0], [-1, 0], [0, 1]])).toBe(1);
  });

  it('rejects impossible k', () => {
    expect(() => kmeans([[0], [1]], 3)).toThrow(RangeError);
    expect(() => kmeans([[0], [1]], 0)).toThrow(RangeError);
  });
});

describe('choosing k by silhouette', () => {
  it('picks the number of well-separated blobs', () => {
    for (const [centres, k] of [[FOUR, 4], [[...FOUR, [6, 6, 6], [-6, 6, 0]], 6]] as const) {
      const { points, truth } = blobs(centres.map((c) => [...c]), 80, 0.8, k);
      const choice = chooseK(points, { minK: 3, maxK: 8, seed: 1, restarts: 3 });
      expect(choice.k).toBe(k);
      expect(choice.candidates.map((c) => c.k)).toEqual([3, 4, 5, 6, 7, 8]);
      expect(adjustedRandIndex(choice.fit.labels, truth)).toBeGreaterThan(0.98);
    }
  });

  it('gives a silhouette near 1 for tight far blobs and near 0 for one blob cut in two', () => {
    const { points, truth } = blobs([[0, 0], [100, 0]], 50, 0.5, 9);
    expect(silhouette(points, truth, 2)).toBeGreaterThan(0.95);
    const one = blobs([[0, 0]], 400, 1, 10).points;
    const cut = one.map((p) => (p[0]! < 0 ? 0 : 1));
    expect(silhouette(one, cut, 2)).toBeLessThan(0.5);
  });
});

describe('discovered segments', () => {
  const stats = DISCOVERY_FEATURES.map(() => ({ mean: 0, stddev: 1 }));

  it('numbers clusters by sample size, largest first, and describes them from their centres', () => {
    const d = DISCOVERY_FEATURES.length;
    const centre = (j: number, v: number) => Array.from({ length: d }, (_, i) => (i === j ? v : 0));
    const sizes = [40, 120, 80];
    const points: number[][] = [];
    const random = seededRandom(1);
    [centre(0, 6), centre(5, 6), centre(1, -6)].forEach((c, b) => {
      for (let i = 0; i < sizes[b]!; i++) points.push(c.map((v) => v + (random() - 0.5) * 0.2));
    });
    const outcome = fitDiscovery({ population: 1000, stats, points, settings: { ...DISCOVERY_SETTINGS, maxK: 5 } });
    expect(outcome.status).toBe('ok');
    expect(outcome.k).toBe(3);
    expect(outcome.clusters.map((c) => [c.segmentId, c.sampleCustomers])).toEqual([['discovered_1', 120], ['discovered_2', 80], ['discovered_3', 40]]);
    const refs = discoveredSegmentRefs(outcome.clusters, DISCOVERY_FEATURES);
    expect(refs.map((r) => r.name)).toEqual(['High returns', 'Low order frequency', 'High spend']);
    expect(refs[0]?.description).toMatch(/^Discovered by clustering; centre: returns /);
    expect(refs.every((r) => r.kind === 'discovered')).toBe(true);
  });

  it('names segments that would share a name by the first feature the others do not share, and numbers only identical ones', () => {
    const features = ['spend', 'recency', 'returns', 'tenure', 'email'].map((id) => ({ id, label: id }));
    const centre = (segmentId: string, z: Record<string, number>) => ({ segmentId, centreZ: z, centre: z });
    const refs = discoveredSegmentRefs(
      [
        centre('discovered_1', { spend: -2, recency: 1.5, returns: 1, tenure: 0.1 }),
        centre('discovered_2', { spend: 2, recency: -1, email: 0.7 }),
        centre('discovered_3', { spend: -2, recency: 1.5, returns: -0.8 }),
        centre('discovered_4', { spend: 0.1, email: -0.2 }),
        centre('discovered_5', { email: 0.3 }),
        // Both also have high tenure, so it tells them apart from neither: their e-mail use does.
        centre('discovered_6', { spend: -2, recency: 1.5, tenure: 0.6, email: 0.55 }),
        centre('discovered_7', { spend: -2, recency: 1.5, tenure: 0.7, email: -0.6 }),
      ],
      features,
    );
    expect(refs.map((r) => r.name)).toEqual([
      'Low spend, high recency, high returns',
      'High spend, low recency',
      'Low spend, high recency, low returns',
      'Close to the average customer (4)',
      'Close to the average customer (5)',
      'Low spend, high recency, high email',
      'Low spend, high recency, low email',
    ]);
  });

  it('is skipped, not failed, with too few customers', () => {
    const outcome = fitDiscovery({ population: 20, stats, points: [] });
    expect(outcome.status).toBe('skipped');
    expect(outcome.model).toBeUndefined();
  });

  it('standardises with the population statistics; missing values and constant features give 0', () => {
    expect(standardise([3, null, 5], [{ mean: 1, stddev: 2 }, { mean: 0, stddev: 1 }, { mean: 5, stddev: 0 }])).toEqual([1, 0, 0]);
  });
});
