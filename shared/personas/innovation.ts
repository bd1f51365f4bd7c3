import type { Evidence } from '../contracts/outputs.ts';
import { round } from '../segments/summarize.ts';
import type { SegmentMetrics } from './metrics.ts';

/**
 * Innovation type (Rogers' diffusion of innovations). Rogers defines the adopter categories by standard
 * deviations from the mean adoption: innovators beyond mean + 2 sd (the first 2.5 %), early adopters
 * mean + 1..2 sd (cumulative 16 %), early majority mean..mean + 1 sd (50 %), late majority mean − 1 sd..mean
 * (84 %), laggards below mean − 1 sd. Our "adoption" signals are the digital ones we observe per customer:
 *
 *   z(signal) = (segment mean − all customers' mean) / all customers' per-customer standard deviation
 *   signals: app_share, mobile_share, push_opt_in (sd √(p(1−p))), social_clicks per customer
 *   score = mean of the available z's;  score ≥ 2 innovator · ≥ 1 early adopter · ≥ 0 early majority ·
 *   ≥ −1 late majority · below laggard
 *
 * A signal is skipped when either mean is unknown or all customers show no variation; no signal → no type.
 */
export type InnovationType = 'innovator' | 'early_adopter' | 'early_majority' | 'late_majority' | 'laggard';

export const INNOVATION_CUTS: readonly { type: InnovationType; min: number }[] = [
  { type: 'innovator', min: 2 },
  { type: 'early_adopter', min: 1 },
  { type: 'early_majority', min: 0 },
  { type: 'late_majority', min: -1 },
  { type: 'laggard', min: Number.NEGATIVE_INFINITY },
];

export interface Innovation {
  type: InnovationType | null;
  score: number | null;
  evidence: Evidence[];
}

export function innovationOf(m: SegmentMetrics, all: SegmentMetrics): Innovation {
  const signals: { metric: string; value: number | null; baseline: number | null; sd: number | null }[] = [
    { metric: 'app_share', value: m.app_share, baseline: all.app_share, sd: all.sd.app_share },
    { metric: 'mobile_share', value: m.mobile_share, baseline: all.mobile_share, sd: all.sd.mobile_share },
    { metric: 'push_opt_in', value: m.push_opt_in, baseline: all.push_opt_in, sd: Math.sqrt(all.push_opt_in * (1 - all.push_opt_in)) },
    { metric: 'social_clicks', value: m.social_clicks, baseline: all.social_clicks, sd: all.sd.social_clicks },
  ];
  const used = signals.filter(
    (s): s is { metric: string; value: number; baseline: number; sd: number } => s.value !== null && s.baseline !== null && s.sd !== null && s.sd > 0,
  );
  if (used.length === 0) return { type: null, score: null, evidence: [] };
  const score = round(used.reduce((sum, s) => sum + (s.value - s.baseline) / s.sd, 0) / used.length, 3);
  const type = INNOVATION_CUTS.find((c) => score >= c.min)!.type;
  return { type, score, evidence: used.map((s) => ({ metric: s.metric, value: s.value, baseline: s.baseline })) };
}
