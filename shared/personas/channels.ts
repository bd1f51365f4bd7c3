import type { Evidence } from '../contracts/outputs.ts';
import { round } from '../segments/summarize.ts';
import type { SegmentMetrics } from './metrics.ts';
import type { NeutralDistribution } from './traits.ts';
import { compareText } from '../compare.ts';

/**
 * Channel ranking: score = reachable share × engagement, both 0–1.
 * - email / sms / push: reachable = consent (opt-in share); engagement = interactions (opens, clicks) per
 *   reachable customer, capped at 1.
 * - social: reachable = customers with events; engagement = social clicks per reachable customer, capped at 1.
 * - app / web: reachable = customers with events, or the share whose most used order channel is the app / web shop
 *   when that is larger (an online order is contact in that channel, and a lake without events still shows it);
 *   engagement = average share of events in the app / outside it, or 1 for order-channel reach without events.
 * - store: reachable = engagement = share of the segment whose most used order channel is the store.
 * Ties: alphabetical. Every channel is listed, ranked 1…7.
 */
export type Channel = 'email' | 'sms' | 'push' | 'social' | 'web' | 'app' | 'store';

export interface NeutralChannel {
  channel: Channel;
  rank: number;
  score: number;
  reachable_share: number;
  engagement: number;
  evidence: Evidence[];
}

const cap = (v: number) => Math.max(0, Math.min(1, v));
const perReachable = (interactions: number, reachable: number) => (reachable > 0 ? cap(interactions / reachable) : 0);

export function channelPreferences(m: SegmentMetrics, all: SegmentMetrics, orderChannels: NeutralDistribution): NeutralChannel[] {
  const ordering = (channel: Channel) => orderChannels.values.find((v) => v.value === channel);
  const orderEvidence = (channel: Channel): Evidence => ({ metric: `top_order_channel=${channel}`, value: ordering(channel)?.share ?? 0, baseline: ordering(channel)?.baseline_share ?? null });
  const store = ordering('store')?.share ?? 0;
  const events = m.events_share;
  // With events the event mix decides engagement; without them, ordering in the channel is the only engagement seen.
  const online = (channel: 'app' | 'web', eventShare: number | null) => {
    const orders = ordering(channel)?.share ?? 0;
    return { reachable: Math.max(events, orders), engagement: eventShare === null ? (orders > 0 ? 1 : 0) : cap(eventShare) };
  };
  const signals: { channel: Channel; reachable: number; engagement: number; evidence: Evidence[] }[] = [
    {
      channel: 'email',
      reachable: m.email_opt_in,
      engagement: perReachable(m.email_opens + m.email_clicks, m.email_opt_in),
      evidence: [
        { metric: 'email_opt_in', value: m.email_opt_in, baseline: all.email_opt_in },
        { metric: 'email_opens_per_customer', value: m.email_opens, baseline: all.email_opens },
        { metric: 'email_clicks_per_customer', value: m.email_clicks, baseline: all.email_clicks },
      ],
    },
    {
      channel: 'sms',
      reachable: m.sms_opt_in,
      engagement: perReachable(m.sms_clicks, m.sms_opt_in),
      evidence: [
        { metric: 'sms_opt_in', value: m.sms_opt_in, baseline: all.sms_opt_in },
        { metric: 'sms_clicks_per_customer', value: m.sms_clicks, baseline: all.sms_clicks },
      ],
    },
    {
      channel: 'push',
      reachable: m.push_opt_in,
      engagement: perReachable(m.push_opens, m.push_opt_in),
      evidence: [
        { metric: 'push_opt_in', value: m.push_opt_in, baseline: all.push_opt_in },
        { metric: 'push_opens_per_customer', value: m.push_opens, baseline: all.push_opens },
      ],
    },
    {
      channel: 'social',
      reachable: events,
      engagement: perReachable(m.social_clicks, events),
      evidence: [
        { metric: 'events_share', value: events, baseline: all.events_share },
        { metric: 'social_clicks_per_customer', value: m.social_clicks, baseline: all.social_clicks },
      ],
    },
    {
      channel: 'app',
      ...online('app', m.app_share),
      evidence: [{ metric: 'app_share', value: m.app_share, baseline: all.app_share }, orderEvidence('app')],
    },
    {
      channel: 'web',
      ...online('web', m.app_share === null ? null : 1 - m.app_share),
      evidence: [{ metric: 'app_share', value: m.app_share, baseline: all.app_share }, orderEvidence('web')],
    },
    {
      channel: 'store',
      reachable: store,
      engagement: store > 0 ? 1 : 0,
      evidence: [orderEvidence('store')],
    },
  ];
  return signals
    .map((s) => ({ channel: s.channel, score: round(s.reachable * s.engagement), reachable_share: round(s.reachable), engagement: round(s.engagement), evidence: s.evidence }))
    .sort((a, b) => b.score - a.score || compareText(a.channel, b.channel))
    .map((s, i) => ({ ...s, rank: i + 1 }));
}
