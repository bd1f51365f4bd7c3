import type { SegmentsConfig } from '../contracts/config.ts';
import type { LifecycleStage } from '../contracts/features.ts';
import { sqlInteger } from '../sql/literals.ts';

export const LIFECYCLE_NAMES: Record<LifecycleStage, string> = {
  prospect: 'Prospect',
  new: 'New',
  active: 'Active',
  lapsing: 'Lapsing',
  churned: 'Churned',
};

/**
 * Lifecycle stage from purchase history. Stages are tested in journey order so every customer gets exactly one:
 * no purchase order → prospect (browsing or merely registered); first purchase recent → new; then by recency.
 * `days_since_first_purchase` and `recency_days` are whole days between dates (see features SQL).
 */
export function lifecycleStageSql(
  thresholds: SegmentsConfig['lifecycle'],
  cols: { frequency: string; recencyDays: string; daysSinceFirstPurchase: string },
): string {
  return [
    'CASE',
    `WHEN ${cols.frequency} = 0 THEN 'prospect'`,
    `WHEN ${cols.daysSinceFirstPurchase} <= ${sqlInteger(thresholds.newWithinDays)} THEN 'new'`,
    `WHEN ${cols.recencyDays} <= ${sqlInteger(thresholds.activeWithinDays)} THEN 'active'`,
    `WHEN ${cols.recencyDays} <= ${sqlInteger(thresholds.lapsingWithinDays)} THEN 'lapsing'`,
    "ELSE 'churned'",
    'END',
  ].join(' ');
}
