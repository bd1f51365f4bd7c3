import type { Persona, PersonaDistribution, PersonaStatement } from '../contracts/outputs.ts';
import { Formatter } from './format.ts';
import { MESSAGES, type FeatureLabelKey } from './i18n/index.ts';

/**
 * A persona as Markdown in its own language: every heading and label from the language's catalogue. Pure.
 * Fields the data does not have are named once per section instead of printed as "unknown" one by one, so a lake
 * with only orders (the Online Retail example) reads as what it knows; the JSON keeps every field, null or not.
 */
export function personaMarkdown(p: Persona): string {
  const messages = MESSAGES[p.language];
  const f = new Formatter(messages, p.currency ?? undefined);
  const t = (key: Parameters<Formatter['text']>[0]) => f.text(key);
  const feature = (key: FeatureLabelKey) => messages.features[key];
  const lines: string[] = [];
  let missing: FeatureLabelKey[] = [];
  const endSection = () => {
    if (missing.length > 0) lines.push(`- _${f.fill('md_missing', { features: f.list(missing.map(feature)) })}_`);
    missing = [];
  };
  const section = (heading: string) => {
    endSection();
    lines.push('', `## ${heading}`, '');
  };
  const statements = (items: readonly PersonaStatement[]) => {
    if (items.length === 0) lines.push(`- ${t('md_none')}`);
    for (const item of items) lines.push(`- ${item.text}`);
  };
  const distribution = (key: FeatureLabelKey, d: PersonaDistribution, withLift = false) => {
    if (d.known_share === 0) return void missing.push(key);
    const values = d.values.slice(0, 5).map((v) => `${v.label} ${f.pct(v.share)}${withLift && v.lift !== null ? ` (${t('md_lift')} ${f.times(v.lift)})` : ''}`);
    const other = f.fill('md_other', { count: { count: d.other.values, digits: 0 } });
    if (d.other.customers > 0) values.push(`${other}${d.other.share === null ? '' : ` ${f.pct(d.other.share)}`}`);
    lines.push(`- **${feature(key)}**: ${values.length > 0 ? values.join(', ') : t('md_unknown')} — ${f.fill('md_known', { share: f.pct(d.known_share) })}`);
  };
  const figure = (key: FeatureLabelKey, value: number | null, format: (v: number) => string) => {
    if (value === null) return void missing.push(key);
    lines.push(`- **${feature(key)}**: ${format(value)}`);
  };
  const pct = (v: number) => f.pct(v);
  const money = (v: number) => f.money(v);

  lines.push(`# ${p.identity.name} — ${p.identity.archetype.label}`, '', `_${f.fill('md_meta', { run_id: p.run_id, as_of: f.date(p.as_of) })}_`);
  section(t('h_story'));
  lines.push(p.identity.story.text);
  section(t('h_segment'));
  lines.push(`**${p.segment.name}**: ${f.fill('md_size', { size: f.int(p.segment.size), share: f.pct(p.segment.share) })}`);

  section(t('h_demographics'));
  figure('avg_age', p.demographics.avg_age, (v) => f.num(v));
  distribution('age_band', p.demographics.age_band);
  distribution('gender', p.demographics.gender);
  distribution('income_band', p.demographics.income_band);
  distribution('education', p.demographics.education);
  distribution('marital_status', p.demographics.marital_status);
  distribution('occupation', p.demographics.occupation);
  section(t('h_geography'));
  distribution('country', p.geography.country);
  distribution('region', p.geography.region);
  section(t('h_psychographics'));
  distribution('interests', p.psychographics.interests, true);
  distribution('lifestyle', p.psychographics.lifestyle, true);

  const b = p.behaviour;
  section(t('h_behaviour'));
  figure('median_recency_days', b.median_recency_days, (v) => f.num(v, 0));
  figure('avg_frequency', b.avg_frequency, (v) => f.num(v));
  figure('avg_monetary', b.avg_monetary, money);
  figure('avg_order_value', b.avg_order_value, money);
  figure('buyers_share', b.buyers_share, pct);
  figure('browsers_share', b.browsers_share, pct);
  figure('conversion_rate', b.conversion_rate, pct);
  figure('cart_abandonment_rate', b.cart_abandonment_rate, pct);
  figure('return_rate', b.return_rate, pct);
  figure('christmas_share', b.occasions.christmas_share, pct);
  figure('halloween_share', b.occasions.halloween_share, pct);
  distribution('top_category', b.top_categories, true);
  distribution('top_order_channel', b.order_channels);

  const tech = p.technographics;
  section(t('h_technographics'));
  distribution('top_device', tech.device);
  distribution('top_os', tech.os);
  distribution('top_browser', tech.browser);
  figure('app_share', tech.app_share, pct);
  figure('mobile_share', tech.mobile_share, pct);
  figure('email_opens', tech.engagement_per_customer.email_opens, (v) => f.num(v, 2));
  figure('social_clicks', tech.engagement_per_customer.social_clicks, (v) => f.num(v, 2));
  lines.push(`- **${feature('innovation')}**: ${tech.innovation.text}`);

  section(t('h_channels'));
  // Ranks stay those of the JSON; channels scoring 0 (no reach or no engagement seen) share one line.
  const silent = p.preferred_channels.filter((c) => c.score === 0);
  for (const c of p.preferred_channels.filter((x) => x.score > 0)) lines.push(`${c.rank}. ${c.text}`);
  if (silent.length > 0) lines.push('', `_${f.fill('md_no_reach', { channels: f.list(silent.map((c) => c.label)) })}_`);
  for (const [heading, items] of [
    ['h_goals', p.goals],
    ['h_pain_points', p.pain_points],
    ['h_motivations', p.motivations],
    ['h_user_stories', p.user_stories],
    ['h_next_actions', p.next_actions],
    ['h_traits', p.distinguishing_traits],
  ] as const) {
    section(t(heading));
    statements(items);
  }
  section(t('h_coverage'));
  for (const [key, value] of Object.entries(p.coverage)) lines.push(`- ${messages.features[key as FeatureLabelKey] ?? key}: ${f.pct(value)}`);
  return `${lines.join('\n')}\n`;
}
