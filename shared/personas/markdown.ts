import type { Persona, PersonaDistribution, PersonaStatement } from '../contracts/outputs.ts';
import { Formatter } from './format.ts';
import { MESSAGES, type FeatureLabelKey } from './i18n/index.ts';

/** A persona as Markdown in its own language: every heading and label from the language's catalogue. Pure. */
export function personaMarkdown(p: Persona, currency?: string): string {
  const messages = MESSAGES[p.language];
  const f = new Formatter(messages, currency);
  const t = (key: Parameters<Formatter['text']>[0]) => f.text(key);
  const feature = (key: FeatureLabelKey) => messages.features[key];
  const lines: string[] = [];
  const section = (heading: string) => lines.push('', `## ${heading}`, '');
  const statements = (items: readonly PersonaStatement[]) => {
    if (items.length === 0) lines.push(`- ${t('md_none')}`);
    for (const item of items) lines.push(`- ${item.text}`);
  };
  const distribution = (key: FeatureLabelKey, d: PersonaDistribution, withLift = false) => {
    const values = d.values.slice(0, 5).map((v) => `${v.label} ${f.pct(v.share)}${withLift && v.lift !== null ? ` (${t('md_lift')} ${f.times(v.lift)})` : ''}`);
    const other = d.other.values === 1 ? t('md_other_one') : f.fill('md_other', { count: f.int(d.other.values) });
    if (d.other.customers > 0) values.push(`${other}${d.other.share === null ? '' : ` ${f.pct(d.other.share)}`}`);
    lines.push(`- **${feature(key)}**: ${values.length > 0 ? values.join(', ') : t('md_unknown')} — ${f.fill('md_known', { share: f.pct(d.known_share) })}`);
  };
  const figure = (key: FeatureLabelKey, value: string) => lines.push(`- **${feature(key)}**: ${value}`);

  lines.push(`# ${p.identity.name} — ${p.identity.archetype.label}`, '', `_${f.fill('md_meta', { run_id: p.run_id, as_of: f.date(p.as_of) })}_`);
  section(t('h_story'));
  lines.push(p.identity.story.text);
  section(t('h_segment'));
  lines.push(`**${p.segment.name}**: ${f.fill('md_size', { size: f.int(p.segment.size), share: f.pct(p.segment.share) })}`);

  section(t('h_demographics'));
  figure('avg_age', f.num(p.demographics.avg_age));
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
  figure('median_recency_days', f.num(b.median_recency_days, 0));
  figure('avg_frequency', f.num(b.avg_frequency));
  figure('avg_monetary', f.money(b.avg_monetary));
  figure('avg_order_value', f.money(b.avg_order_value));
  figure('buyers_share', f.pct(b.buyers_share));
  figure('browsers_share', f.pct(b.browsers_share));
  figure('conversion_rate', f.pct(b.conversion_rate));
  figure('cart_abandonment_rate', f.pct(b.cart_abandonment_rate));
  figure('return_rate', f.pct(b.return_rate));
  figure('christmas_share', f.pct(b.occasions.christmas_share));
  figure('halloween_share', f.pct(b.occasions.halloween_share));
  distribution('top_category', b.top_categories, true);
  distribution('top_order_channel', b.order_channels);

  const tech = p.technographics;
  section(t('h_technographics'));
  distribution('top_device', tech.device);
  distribution('top_os', tech.os);
  distribution('top_browser', tech.browser);
  figure('app_share', f.pct(tech.app_share));
  figure('mobile_share', f.pct(tech.mobile_share));
  figure('email_opens', f.num(tech.engagement_per_customer.email_opens, 2));
  figure('social_clicks', f.num(tech.engagement_per_customer.social_clicks, 2));
  figure('innovation', tech.innovation.text);

  section(t('h_channels'));
  for (const c of p.preferred_channels) lines.push(`${c.rank}. ${c.text}`);
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
