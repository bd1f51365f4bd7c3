import type { Distribution, Persona, SegmentSummary } from '../contracts/outputs.ts';
import type { Row } from '../engines/query-engine.ts';
import { round, segmentKey, share, topValues, type DistributionIndex } from '../segments/summarize.ts';

/**
 * First personas: one per non-empty segment, built only from the run's figures. Every sentence of the
 * description is generated from a number in the same persona, so nothing is invented.
 */

const FIRST_NAMES: Record<string, string> = {
  champions: 'Champion Charlotte',
  loyal: 'Loyal Lars',
  potential_loyalist: 'Promising Paula',
  new_customers: 'Newcomer Nina',
  promising: 'Prospect Pete',
  need_attention: 'Needful Nora',
  about_to_sleep: 'Sleepy Sam',
  at_risk: 'Risky Rita',
  cant_lose_them: 'Cherished Chris',
  hibernating: 'Hibernating Hanna',
  lost: 'Lost Leo',
  no_purchase: 'Browsing Ben',
  prospect: 'Prospect Priya',
  new: 'Novice Noah',
  active: 'Active Anna',
  lapsing: 'Lapsing Linda',
  churned: 'Churned Charlie',
};

/** Rule segments get an alliterative name from the segment's own name: "Email Engaged" → "Emma of Email Engaged". */
const NAMES_BY_LETTER: Record<string, string> = {
  a: 'Alex', b: 'Bea', c: 'Cleo', d: 'Dana', e: 'Emma', f: 'Finn', g: 'Greta', h: 'Hugo', i: 'Ida', j: 'Jonas',
  k: 'Kim', l: 'Lena', m: 'Maria', n: 'Nils', o: 'Olivia', p: 'Pia', q: 'Quinn', r: 'Rosa', s: 'Sofia', t: 'Tom',
  u: 'Uma', v: 'Vera', w: 'Walt', x: 'Xenia', y: 'Yuki', z: 'Zoe',
};

export function personaName(segment: Pick<SegmentSummary, 'id' | 'name'>): string {
  const known = FIRST_NAMES[segment.id];
  if (known) return known;
  const word = segment.name.trim().split(/\s+/)[0] ?? segment.id;
  const first = NAMES_BY_LETTER[word[0]?.toLowerCase() ?? ''] ?? 'Alex';
  return `${word.charAt(0).toUpperCase()}${word.slice(1)} ${first}`;
}

function distribution(index: DistributionIndex, key: string, dimension: string, size: number): Distribution {
  const all = index.get(key)?.get(dimension) ?? [];
  const known = all.filter((v) => v.value !== null).reduce((sum, v) => sum + v.customers, 0);
  const values = topValues(index, key, dimension, size, 10);
  const top = values[0];
  return {
    dominant: top?.value ?? null,
    dominant_share: top ? share(top.customers, Math.max(known, 1)) : null,
    known_share: share(known, size),
    values,
  };
}

interface ChannelSignal {
  channel: Persona['preferred_channels'][number]['channel'];
  reachable: number;
  engagement: number;
  evidence: string;
}

/**
 * Channel ranking: score = reachable share × engagement, each 0–1. Reachability is consent where consent
 * exists (email, SMS, push) and use elsewhere; engagement is interactions per customer, capped at 1.
 */
function channelPreferences(summary: SegmentSummary, row: Row): Persona['preferred_channels'] {
  const size = Math.max(summary.size, 1);
  const n = (k: string) => Number(row[k] ?? 0);
  const perCustomer = (k: string) => Math.min(1, n(k) / size);
  const signals: ChannelSignal[] = [
    { channel: 'email', reachable: n('email_opt_in') / size, engagement: perCustomer('email_opens'), evidence: `${n('email_opt_in')} opted in, ${n('email_opens')} opens` },
    { channel: 'sms', reachable: n('sms_opt_in') / size, engagement: perCustomer('sms_clicks'), evidence: `${n('sms_opt_in')} opted in, ${n('sms_clicks')} clicks` },
    { channel: 'push', reachable: n('push_opt_in') / size, engagement: perCustomer('push_opens'), evidence: `${n('push_opt_in')} opted in, ${n('push_opens')} opens` },
    { channel: 'social', reachable: n('with_events') / size, engagement: perCustomer('social_clicks'), evidence: `${n('social_clicks')} social clicks` },
    { channel: 'app', reachable: n('with_events') / size, engagement: Math.min(1, Number(row.avg_app_share ?? 0)), evidence: `${round(Number(row.avg_app_share ?? 0) * 100, 1)}% of events in the app` },
    { channel: 'web', reachable: n('with_events') / size, engagement: Math.min(1, 1 - Number(row.avg_app_share ?? 1)), evidence: `${n('events')} events, ${round((1 - Number(row.avg_app_share ?? 1)) * 100, 1)}% outside the app` },
  ];
  return signals
    .map((s) => ({
      channel: s.channel,
      score: round(s.reachable * s.engagement),
      reachable_share: round(s.reachable),
      evidence: s.evidence,
    }))
    .sort((a, b) => b.score - a.score || a.channel.localeCompare(b.channel));
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v * 100)}%`);

function describe(s: SegmentSummary, demographics: Persona['demographics'], interests: Persona['top_interests']): string {
  const parts = [`${pct(s.share)} of customers, ${pct(s.revenue_share)} of revenue.`];
  if (s.avg_frequency !== null && s.buyers_share > 0) {
    parts.push(
      `Buys ${s.avg_frequency.toFixed(1)} times on average${s.avg_order_value !== null ? ` for ${s.avg_order_value.toFixed(2)} per order` : ''}${s.median_recency_days !== null ? `, last about ${s.median_recency_days} days ago` : ''}.`,
    );
  } else {
    parts.push(`${pct(s.browsers_share)} browse without buying.`);
  }
  const age = demographics.age_band;
  if (age.dominant && age.known_share >= 0.3) parts.push(`Most often aged ${age.dominant.replace('_plus', '+').replace('_', '–')} (${pct(age.dominant_share)} of known ages).`);
  if (interests[0]) parts.push(`Top interest: ${interests[0].value} (${pct(interests[0].share)}).`);
  return parts.join(' ');
}

export function buildPersonas(input: {
  segments: readonly SegmentSummary[];
  summaryRows: readonly Row[];
  distributions: DistributionIndex;
}): Persona[] {
  const rows = new Map(input.summaryRows.map((r) => [segmentKey(String(r.kind), String(r.segment_id)), r]));
  return input.segments
    .filter((s) => s.kind !== 'all' && s.size > 0)
    .map((s) => {
      const key = segmentKey(s.kind, s.id);
      const row = rows.get(key) ?? {};
      const demographics = {
        age_band: distribution(input.distributions, key, 'age_band', s.size),
        gender: distribution(input.distributions, key, 'gender', s.size),
        income_band: distribution(input.distributions, key, 'income_band', s.size),
        education: distribution(input.distributions, key, 'education', s.size),
        country: distribution(input.distributions, key, 'country', s.size),
      };
      const topInterests = topValues(input.distributions, key, 'interests', s.size);
      return {
        segment_id: s.id,
        segment_kind: s.kind,
        segment_name: s.name,
        name: personaName(s),
        description: describe(s, demographics, topInterests),
        size: s.size,
        share: s.share,
        key_figures: {
          revenue_share: s.revenue_share,
          avg_order_value: s.avg_order_value,
          avg_frequency: s.avg_frequency,
          median_recency_days: s.median_recency_days,
          buyers_share: s.buyers_share,
          conversion_rate: s.conversion_rate,
          avg_age: row.avg_age === null || row.avg_age === undefined ? null : round(Number(row.avg_age), 1),
        },
        demographics,
        top_interests: topInterests,
        top_categories: s.top_categories,
        devices: s.top_devices,
        preferred_channels: channelPreferences(s, row),
      };
    });
}
