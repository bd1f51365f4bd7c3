import type { Persona, PersonaLanguage, SegmentSummary, SuppressedPersona } from '../contracts/outputs.ts';
import type { Row } from '../engines/query-engine.ts';
import { segmentKey, type DistributionIndex } from '../segments/summarize.ts';
import { channelPreferences } from './channels.ts';
import { MESSAGES } from './i18n/index.ts';
import { innovationOf } from './innovation.ts';
import { segmentMetrics, type SegmentMetrics } from './metrics.ts';
import { personaNames } from './names.ts';
import { suppression } from './privacy.ts';
import { renderPersona, type NeutralPersona } from './render.ts';
import { archetypeOf, ruleStatements, THRESHOLDS, topInterest, type NeutralStatement, type RuleInput } from './rules.ts';
import { ALL_KEY, distinctOrdered, distinguishingTraits, distributionOf, type NeutralDistribution } from './traits.ts';

/**
 * Personas: one per segment with at least `minSegmentSize` customers, built only from the run's segment aggregates
 * (never from customer rows). First the language-neutral facts (figures, codes, evidence), then one rendering per
 * language. Pure: data in, data out.
 */
export interface PersonaOptions {
  runId: string;
  asOf: string;
  languages: readonly PersonaLanguage[];
  minSegmentSize: number;
  /** ISO 4217 code of the amounts (the reporting currency), for currency formatting; plain numbers without. */
  currency?: string;
}

export interface PersonaSet {
  byLanguage: Partial<Record<PersonaLanguage, Persona[]>>;
  suppressed: SuppressedPersona[];
  neutral: NeutralPersona[];
}

const DIMENSIONS = [
  'age_band', 'gender', 'income_band', 'education', 'marital_status', 'occupation', 'country', 'region',
  'interests', 'lifestyle', 'top_category', 'top_order_channel', 'top_device', 'top_os', 'top_browser',
] as const;
const COVERAGE_DIMENSIONS = ['age_band', 'gender', 'income_band', 'education', 'marital_status', 'occupation', 'country', 'region', 'interests', 'lifestyle', 'top_device'] as const;

export function buildPersonas(input: {
  segments: readonly SegmentSummary[];
  summaryRows: readonly Row[];
  distributions: DistributionIndex;
  options: PersonaOptions;
}): PersonaSet {
  const { options } = input;
  const rows = new Map(input.summaryRows.map((r) => [segmentKey(String(r.kind), String(r.segment_id)), r]));
  const allSummary = input.segments.find((s) => s.kind === 'all');
  const baseline: SegmentMetrics | null = allSummary ? segmentMetrics(allSummary, rows.get(ALL_KEY) ?? {}) : null;
  const suppressed: SuppressedPersona[] = [];
  const neutral: NeutralPersona[] = [];
  for (const segment of input.segments) {
    if (segment.kind === 'all') continue;
    const hidden = suppression(segment, options.minSegmentSize);
    if (hidden) {
      suppressed.push(hidden);
      continue;
    }
    const row = rows.get(segmentKey(segment.kind, segment.id)) ?? {};
    neutral.push(neutralPersona(segment, row, baseline, input.distributions, options.minSegmentSize));
  }

  const byLanguage: PersonaSet['byLanguage'] = {};
  for (const language of distinctOrdered(options.languages)) {
    const messages = MESSAGES[language];
    const names = personaNames(neutral.map((p) => ({ segmentId: p.segment.id, archetype: p.archetype })), messages, MESSAGES.en);
    byLanguage[language] = neutral.map((p, i) =>
      renderPersona(p, { language, messages, name: names[i]!, runId: options.runId, asOf: options.asOf, ...(options.currency ? { currency: options.currency } : {}) }),
    );
  }
  return { byLanguage, suppressed, neutral };
}

export function neutralPersona(
  segment: SegmentSummary,
  row: Row,
  baselineMetrics: SegmentMetrics | null,
  index: DistributionIndex,
  minSize: number,
): NeutralPersona {
  const m = segmentMetrics(segment, row);
  const all = baselineMetrics ?? m;
  const ctx = { index, key: segmentKey(segment.kind, segment.id), size: segment.size, allSize: all.size, minSize };
  const known: Partial<Record<string, number>> = { interests: Number(row.with_interests ?? 0), lifestyle: Number(row.with_lifestyle ?? 0) };
  const distributions: Record<string, NeutralDistribution> = Object.fromEntries(
    DIMENSIONS.map((d) => [d, distributionOf(ctx, d, 10, known[d])]),
  );
  const innovation = innovationOf(m, all);
  const channels = channelPreferences(m, all, distributions.top_order_channel!);
  const ruleInput: RuleInput = { m, all, distributions, channels, innovation };
  const archetype = archetypeOf(ruleInput);
  const coverage: Record<string, number> = Object.fromEntries(COVERAGE_DIMENSIONS.map((d) => [d, distributions[d]!.known_share]));
  coverage.events = m.events_share;
  coverage.profile = m.profile_share;
  return {
    segment,
    metrics: m,
    archetype: archetype.code,
    distributions,
    innovation,
    channels,
    rules: ruleStatements(ruleInput),
    traits: distinguishingTraits(m, all, distributions),
    story: storyOf(segment, m, all, distributions, channels, innovation, archetype.evidence),
    coverage,
  };
}

/** The one-paragraph story: sentences chosen by the data, each with its figures. */
function storyOf(
  segment: SegmentSummary,
  m: SegmentMetrics,
  all: SegmentMetrics,
  d: Readonly<Record<string, NeutralDistribution>>,
  channels: NeutralPersona['channels'],
  innovation: NeutralPersona['innovation'],
  archetypeEvidence: NeutralStatement['evidence'],
): NeutralStatement[] {
  const out: NeutralStatement[] = [
    {
      code: 'intro',
      key: 'story_intro',
      params: { name: { persona_name: true }, segment: { segment_name: true }, size: { int: segment.size }, share: { pct: segment.share }, revenue_share: { pct: segment.revenue_share } },
      evidence: [{ metric: 'size', value: segment.size }, { metric: 'share', value: segment.share }, { metric: 'revenue_share', value: segment.revenue_share }, ...archetypeEvidence],
    },
  ];
  if (m.buyers_share >= 0.5 && m.avg_frequency !== null && m.avg_order_value !== null && m.median_recency_days !== null) {
    out.push({
      code: 'buyer',
      key: 'story_buyer',
      params: { frequency: { num: m.avg_frequency }, aov: { money: m.avg_order_value }, recency: { int: m.median_recency_days } },
      evidence: [
        { metric: 'avg_frequency', value: m.avg_frequency, baseline: all.avg_frequency },
        { metric: 'avg_order_value', value: m.avg_order_value, baseline: all.avg_order_value },
        { metric: 'median_recency_days', value: m.median_recency_days, baseline: all.median_recency_days },
      ],
    });
  } else {
    out.push({
      code: 'browser',
      key: 'story_browser',
      params: { browsers: { pct: m.browsers_share }, conversion: { pct: m.conversion_rate } },
      evidence: [
        { metric: 'browsers_share', value: m.browsers_share, baseline: all.browsers_share },
        { metric: 'conversion_rate', value: m.conversion_rate, baseline: all.conversion_rate },
      ],
    });
  }
  const age = d.age_band!;
  if (age.dominant !== null && age.known_share >= 0.3) {
    out.push({
      code: 'age',
      key: 'story_age',
      params: { age: { label: { dimension: 'age_band', value: age.dominant } }, age_share: { pct: age.dominant_share } },
      evidence: [{ metric: `age_band=${age.dominant}`, value: age.dominant_share, baseline: age.values[0]?.baseline_share ?? null }, { metric: 'age_known_share', value: age.known_share }],
    });
  }
  const country = d.country!;
  if (country.dominant !== null && country.known_share >= 0.3) {
    out.push({
      code: 'country',
      key: 'story_country',
      params: { country: { label: { dimension: 'country', value: country.dominant } }, country_share: { pct: country.dominant_share } },
      evidence: [{ metric: `country=${country.dominant}`, value: country.dominant_share, baseline: country.values[0]?.baseline_share ?? null }],
    });
  }
  const interest = topInterest(d.interests!.values);
  if (interest) {
    out.push({
      code: 'interest',
      key: 'story_interest',
      params: { interest: { label: { dimension: 'interests', value: interest.value } }, lift: { times: interest.lift } },
      evidence: [{ metric: `interests=${interest.value}`, value: interest.share, baseline: interest.baseline_share, threshold: THRESHOLDS.interestLift }],
    });
  }
  const best = channels[0];
  if (best && best.score > 0) {
    out.push({ code: 'channel', key: 'story_channel', params: { channel: { channel: best.channel } }, evidence: [{ metric: `channel_score=${best.channel}`, value: best.score }] });
  }
  if (innovation.type !== null) {
    out.push({ code: 'innovation', key: 'story_innovation', params: { innovation: { innovation: innovation.type } }, evidence: [{ metric: 'innovation_score', value: innovation.score }] });
  }
  return out;
}
