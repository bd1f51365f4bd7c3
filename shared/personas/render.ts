import type { Persona, PersonaDistribution, PersonaLanguage, PersonaStatement, SegmentSummary } from '../contracts/outputs.ts';
import type { NeutralChannel } from './channels.ts';
import { Formatter, type Count } from './format.ts';
import type { FeatureLabelKey, Messages, TextKey } from './i18n/index.ts';
import type { Innovation } from './innovation.ts';
import type { SegmentMetrics } from './metrics.ts';
import type { Archetype, NeutralStatement, Param, RuleStatements } from './rules.ts';
import type { NeutralDistribution, NeutralTrait } from './traits.ts';

/** A persona's language-neutral facts: numbers, codes and evidence. render() turns them into one language. */
export interface NeutralPersona {
  segment: SegmentSummary;
  metrics: SegmentMetrics;
  archetype: Archetype;
  distributions: Readonly<Record<string, NeutralDistribution>>;
  innovation: Innovation;
  channels: readonly NeutralChannel[];
  rules: RuleStatements;
  traits: readonly NeutralTrait[];
  story: readonly NeutralStatement[];
  coverage: Readonly<Record<string, number>>;
}

export interface RenderContext {
  language: PersonaLanguage;
  messages: Messages;
  name: string;
  runId: string;
  asOf: string;
  currency?: string;
}

const SHARE_FEATURES = new Set(['app_share', 'mobile_share', 'buyers_share', 'browsers_share', 'email_opt_in', 'sms_opt_in', 'push_opt_in']);

// Without any events in the segment, "0 opens per customer" would read as a finding rather than an absence.
const engagementPerCustomer = (m: SegmentMetrics): Persona['technographics']['engagement_per_customer'] => {
  const value = (v: number) => (m.events_share === 0 ? null : v);
  return {
    email_opens: value(m.email_opens),
    email_clicks: value(m.email_clicks),
    push_opens: value(m.push_opens),
    sms_clicks: value(m.sms_clicks),
    social_clicks: value(m.social_clicks),
    app_opens: value(m.app_opens),
  };
};

export function renderPersona(p: NeutralPersona, ctx: RenderContext): Persona {
  const f = new Formatter(ctx.messages, ctx.currency);
  // Counts stay numbers until the template is filled, which shows them and picks their plural form alike.
  const param = (value: Param): string | Count => {
    if ('pct' in value) return f.pct(value.pct);
    if ('num' in value) return { count: value.num, digits: value.digits ?? 1 };
    if ('money' in value) return f.money(value.money);
    if ('times' in value) return f.times(value.times);
    if ('int' in value) return { count: value.int, digits: 0 };
    if ('label' in value) return f.label(value.label.dimension, value.label.value);
    if ('features' in value) return f.list(value.features.map(feature));
    if ('channel' in value) return ctx.messages.channel[value.channel];
    if ('innovation' in value) return ctx.messages.innovation[value.innovation];
    if ('persona_name' in value) return ctx.name;
    if ('segment_name' in value) return p.segment.name;
    return fill(value.template, value.params);
  };
  const fill = (key: TextKey, ps: Readonly<Record<string, Param>>): string => f.fill(key, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, param(v)])));
  const text = (s: NeutralStatement): PersonaStatement => ({ code: s.code, text: fill(s.key, s.params), evidence: s.evidence });
  const dist = (d: NeutralDistribution): PersonaDistribution => ({
    dominant: d.dominant,
    dominant_label: d.dominant === null ? null : f.label(d.dimension, d.dominant),
    dominant_share: d.dominant_share,
    known_share: d.known_share,
    values: d.values.map((v) => ({ ...v, label: f.label(d.dimension, v.value) })),
    other: d.other,
  });
  const D = (dimension: string) => dist(p.distributions[dimension]!);
  const feature = (key: string) => ctx.messages.features[key as FeatureLabelKey] ?? key;
  const m = p.metrics;

  const story = p.story.map(text);
  return {
    language: ctx.language,
    run_id: ctx.runId,
    as_of: ctx.asOf,
    currency: ctx.currency ?? null,
    segment: { id: p.segment.id, kind: p.segment.kind, name: p.segment.name, size: p.segment.size, share: p.segment.share, revenue_share: p.segment.revenue_share },
    identity: {
      name: ctx.name,
      archetype: { code: p.archetype, label: ctx.messages.archetype[p.archetype] },
      story: { code: 'story', text: story.map((s) => s.text).join(' '), evidence: story.flatMap((s) => s.evidence) },
    },
    demographics: {
      avg_age: m.avg_age,
      age_band: D('age_band'),
      gender: D('gender'),
      income_band: D('income_band'),
      education: D('education'),
      marital_status: D('marital_status'),
      occupation: D('occupation'),
    },
    geography: { country: D('country'), region: D('region') },
    psychographics: { interests: D('interests'), lifestyle: D('lifestyle') },
    behaviour: {
      median_recency_days: m.median_recency_days,
      avg_recency_days: m.avg_recency_days,
      avg_frequency: m.avg_frequency,
      avg_monetary: m.avg_monetary,
      avg_order_value: m.avg_order_value,
      buyers_share: m.buyers_share,
      browsers_share: m.browsers_share,
      conversion_rate: m.conversion_rate,
      cart_abandonment_rate: m.cart_abandonment_rate,
      return_rate: m.return_rate,
      occasions: { christmas_share: m.christmas_share, halloween_share: m.halloween_share },
      top_categories: D('top_category'),
      order_channels: D('top_order_channel'),
    },
    technographics: {
      device: D('top_device'),
      os: D('top_os'),
      browser: D('top_browser'),
      app_share: m.app_share,
      mobile_share: m.mobile_share,
      engagement_per_customer: engagementPerCustomer(m),
      innovation: {
        type: p.innovation.type,
        label: p.innovation.type === null ? null : ctx.messages.innovation[p.innovation.type],
        score: p.innovation.score,
        text:
          p.innovation.type === null
            ? f.text('innovation_unknown')
            : f.fill('innovation_text', { innovation: ctx.messages.innovation[p.innovation.type], score: { count: p.innovation.score, digits: 2 } }),
        evidence: p.innovation.evidence,
      },
    },
    preferred_channels: p.channels.map((c) => ({
      channel: c.channel,
      label: ctx.messages.channel[c.channel],
      rank: c.rank,
      score: c.score,
      reachable_share: c.reachable_share,
      engagement: c.engagement,
      text: f.fill('channel_text', { channel: ctx.messages.channel[c.channel], reachable: f.pct(c.reachable_share), engagement: f.pct(c.engagement), score: f.num(c.score, 2) }),
      evidence: c.evidence,
    })),
    goals: p.rules.goals.map(text),
    pain_points: p.rules.pain_points.map(text),
    motivations: p.rules.motivations.map(text),
    user_stories: p.rules.user_stories.map(text),
    next_actions: p.rules.next_actions.map(text),
    distinguishing_traits: p.traits.map((t) => {
      const code = t.value === undefined ? t.feature : `${t.feature}=${t.value}`;
      const format = (v: number) =>
        t.value !== undefined || SHARE_FEATURES.has(t.feature) ? f.pct(v) : t.feature === 'avg_monetary' ? f.money(v) : f.num(v, 2);
      const textOut =
        t.value === undefined
          ? f.fill('trait_numeric', { feature: feature(t.feature), value: format(t.segment_value), baseline: format(t.baseline_value), difference: { count: t.standardized_difference, digits: 1 } })
          : f.fill('trait_share', { feature: feature(t.feature), label: f.label(t.feature, t.value), value: format(t.segment_value), baseline: format(t.baseline_value), lift: f.times(t.lift) });
      return { code, feature: t.feature, standardized_difference: t.standardized_difference, text: textOut, evidence: t.evidence };
    }),
    coverage: { ...p.coverage },
  };
}
