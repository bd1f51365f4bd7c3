import { describe, expect, it } from 'vitest';
import { Persona, PERSONA_LANGUAGES, type PersonaLanguage, type SegmentSummary } from '../../shared/contracts/outputs.ts';
import type { Row } from '../../shared/engines/query-engine.ts';
import { buildPersonas } from '../../shared/personas/build-personas.ts';
import { fillTemplate, Formatter, placeholders } from '../../shared/personas/format.ts';
import { MESSAGES } from '../../shared/personas/i18n/index.ts';
import { TEXT_KEYS } from '../../shared/personas/i18n/messages.ts';
import { personaMarkdown } from '../../shared/personas/markdown.ts';
import { foldRare } from '../../shared/personas/privacy.ts';
import { THRESHOLDS } from '../../shared/personas/rules.ts';
import { indexDistributions } from '../../shared/segments/summarize.ts';

/**
 * The persona model on hand-made segment aggregates: every figure comes from the input rows, so changing a row
 * must change the persona accordingly. An "all customers" baseline of 1,000 and a segment "test" of 200.
 */
type Counts = Record<string, Record<string, number>>;

interface Fixture {
  segment: Partial<SegmentSummary>;
  row: Record<string, unknown>;
  allRow: Record<string, unknown>;
  dims: Counts;
  allDims: Counts;
  extraSegments?: SegmentSummary[];
}

const summary = (id: string, kind: SegmentSummary['kind'], size: number, over: Partial<SegmentSummary> = {}): SegmentSummary => ({
  id,
  name: id === 'all_customers' ? 'All customers' : `Segment ${id}`,
  kind,
  size,
  share: size / 1000,
  revenue: 1000,
  revenue_share: 0.2,
  purchase_orders: 3 * size,
  avg_order_value: 50,
  avg_frequency: 3,
  median_recency_days: 40,
  buyers_share: 0.9,
  browsers_share: 0.1,
  conversion_rate: 0.3,
  cart_abandonment_rate: 0.4,
  return_rate: 0.05,
  email_opt_in_share: 0.5,
  mobile_share: 0.5,
  top_categories: [],
  top_channels: [],
  top_devices: [],
  ...over,
});

const baseRow = (size: number): Record<string, unknown> => ({
  customers: size, purchase_orders: 3 * size, with_events: size, with_profile: size, avg_monetary: 150, avg_recency_days: 50,
  avg_app_share: 0.3, avg_mobile_share: 0.5, email_opt_in: size / 2, sms_opt_in: size / 4, push_opt_in: size / 4,
  email_opens: size, email_clicks: size / 4, push_opens: size / 8, sms_clicks: size / 10, social_clicks: size / 5, app_opens: size,
  with_age: size * 0.8, avg_age: 40, christmas_orders: (3 * size) / 10, halloween_orders: (3 * size) / 20,
  with_interests: size * 0.7, with_lifestyle: size * 0.6,
  sd_frequency: 2, sd_recency_days: 40, sd_monetary: 100, sd_mobile_share: 0.3, sd_app_share: 0.3, sd_social_clicks: 0.5,
});

function fixture(): Fixture {
  return {
    segment: {},
    row: baseRow(200),
    allRow: baseRow(1000),
    dims: {
      age_band: { '25_34': 100, '35_44': 60, '65_plus': 3 },
      gender: { female: 120, male: 60 },
      country: { DE: 150, NO: 40 },
      city: { Uniqueville: 1 },
      occupation: { engineer: 70, astronaut: 1 },
      interests: { running: 120, cooking: 60, falconry: 2 },
      lifestyle: { urban: 90 },
      top_category: { shoes: 110, books: 60 },
      top_order_channel: { web: 120, store: 60 },
      top_device: { mobile: 150, desktop: 50 },
      top_os: { ios: 100, android: 100 },
      top_browser: { safari: 100, chrome: 100 },
    },
    allDims: {
      age_band: { '25_34': 300, '35_44': 300, '65_plus': 100 },
      gender: { female: 500, male: 400 },
      country: { DE: 600, NO: 300 },
      occupation: { engineer: 200, astronaut: 1 },
      interests: { running: 200, cooking: 300, falconry: 2 },
      lifestyle: { urban: 400 },
      top_category: { shoes: 300, books: 400 },
      top_order_channel: { web: 700, store: 200 },
      top_device: { mobile: 600, desktop: 400 },
      top_os: { ios: 500, android: 500 },
      top_browser: { safari: 500, chrome: 500 },
    },
  };
}

function distRows(kind: string, id: string, dims: Counts): Row[] {
  return Object.entries(dims).flatMap(([dimension, values]) =>
    Object.entries(values).map(([value, customers]) => ({ kind, segment_id: id, dimension, value: value === '(null)' ? null : value, customers })),
  );
}

function build(f: Fixture, options: { languages?: PersonaLanguage[]; minSegmentSize?: number } = {}) {
  const segment = summary('test', 'rule', 200, f.segment);
  const all = summary('all_customers', 'all', 1000);
  const segments = [all, segment, ...(f.extraSegments ?? [])];
  return buildPersonas({
    segments,
    summaryRows: [
      { kind: 'all', segment_id: 'all_customers', ...f.allRow },
      { kind: 'rule', segment_id: 'test', ...f.row },
      ...(f.extraSegments ?? []).map((s) => ({ kind: s.kind, segment_id: s.id, ...baseRow(s.size) })),
    ],
    distributions: indexDistributions([...distRows('all', 'all_customers', f.allDims), ...distRows('rule', 'test', f.dims)]),
    options: { runId: 'run-1', asOf: '2026-06-30', languages: options.languages ?? ['en'], minSegmentSize: options.minSegmentSize ?? 50, currency: 'EUR' },
  });
}
const en = (f: Fixture) => build(f).byLanguage.en![0]!;
const codes = (items: readonly { code: string }[]) => items.map((i) => i.code);

describe('persona rules: data in, statement out', () => {
  it('adds the checkout-friction pain point (with figure and threshold) only when cart abandonment crosses the threshold', () => {
    const f = fixture();
    expect(codes(en(f).pain_points)).not.toContain('checkout_friction');
    f.segment.cart_abandonment_rate = 0.8;
    const p = en(f);
    const pain = p.pain_points.find((x) => x.code === 'checkout_friction');
    expect(pain?.evidence).toEqual([{ metric: 'cart_abandonment_rate', value: 0.8, baseline: 0.4, threshold: THRESHOLDS.cartAbandonment }]);
    expect(pain?.text).toContain('80%');
    expect(codes(p.next_actions)).toContain('cart_recovery');
    expect(codes(p.user_stories)).toContain('story_checkout_friction');
  });

  it('derives reminders, win-back, returns and browsing from recency, return rate and browser share', () => {
    const f = fixture();
    f.segment.median_recency_days = 120;
    expect(codes(en(f).pain_points)).toContain('needs_reminders');
    expect(codes(en(f).next_actions)).toContain('remind');
    f.segment.median_recency_days = 250;
    expect(codes(en(f).next_actions)).toContain('win_back');
    expect(en(f).identity.archetype.code).toBe('lapsed');
    f.segment.return_rate = 0.3;
    expect(codes(en(f).pain_points)).toContain('fit_quality_doubts');
    f.segment.browsers_share = 0.7;
    expect(en(f).identity.archetype.code).toBe('browser');
    expect(codes(en(f).next_actions)).toContain('first_purchase_incentive');
  });

  it('calls a segment holiday shoppers only when its Christmas and Halloween share is high and well above all customers’', () => {
    const f = fixture();
    f.allRow.christmas_orders = 0.3 * 3000;
    f.allRow.halloween_orders = 0.15 * 3000;
    f.row.christmas_orders = 0.3 * 600;
    f.row.halloween_orders = 0.15 * 600;
    // Both at 45 %: over the 30 % threshold, but no different from everyone else.
    const seasonal = (p: Persona) => [p.identity.archetype.code === 'holiday_shopper', codes(p.goals).includes('seasonal_gifting'), codes(p.motivations).includes('festive_occasions'), codes(p.next_actions).includes('seasonal_campaign')];
    expect(seasonal(en(f))).toEqual([false, false, false, false]);
    f.row.christmas_orders = 0.5 * 600;
    f.row.halloween_orders = 0.18 * 600;
    const p = en(f);
    expect(seasonal(p)).toEqual([true, true, true, true]);
    expect(p.goals.find((g) => g.code === 'seasonal_gifting')!.text).toBe(
      'Get seasonal shopping done in time: 68% of their orders fall in the Christmas and Halloween windows against 45% for all customers (rule: at least 30% and 1.5× the average).',
    );
    f.row.christmas_orders = 0.5 * 600;
    f.row.halloween_orders = 0.15 * 600;
    expect(seasonal(en(f))).toEqual([false, false, false, false]);
  });

  it('names the weakest friction figure against all customers when no pain threshold is crossed, or says none stands out', () => {
    const f = fixture();
    const calm = en(f).pain_points;
    expect(codes(calm)).toEqual(['no_clear_pain']);
    expect(calm[0]!.evidence.map((e) => [e.metric, e.value, e.baseline])).toEqual([
      ['cart_abandonment_rate', 0.4, 0.4], ['return_rate', 0.05, 0.05], ['conversion_rate', 0.3, 0.3], ['median_recency_days', 40, 40],
    ]);
    expect(calm[0]!.text).toBe('No friction stands out: each of cart abandonment, return rate, conversion rate and days since last purchase (median) is at most 25% worse than for all customers.');

    // 1.2× the average is not enough; 1.3× is, still under the 15 % absolute returns rule.
    f.segment.return_rate = 0.06;
    expect(codes(en(f).pain_points)).toEqual(['no_clear_pain']);
    f.segment.return_rate = 0.065;
    const returns = en(f);
    expect(codes(returns.pain_points)).toEqual(['more_returns']);
    expect(returns.pain_points[0]!.evidence).toEqual([{ metric: 'return_rate', value: 0.065, baseline: 0.05, threshold: THRESHOLDS.relativePainRatio }]);
    expect(returns.pain_points[0]!.text).toContain('return rate 6.5% against 5% for all customers');
    expect(codes(returns.user_stories)).toContain('story_more_returns');
    expect(codes(returns.next_actions)).toEqual(['reduce_returns']);

    // Of two figures past the ratio the worse one wins: conversion at 0.2 is 1.5× worse than 0.3, returns 1.3×.
    f.segment.conversion_rate = 0.2;
    expect(codes(en(f).pain_points)).toEqual(['lower_conversion']);
    f.segment.median_recency_days = 80;
    const gaps = en(f).pain_points;
    expect(codes(gaps)).toEqual(['longer_gaps']);
    expect(gaps[0]!.text).toContain('a median of 80 days since the last purchase against 40 days');
    expect(en(f).next_actions.map((a) => [a.code, a.text])).toEqual([
      ['remind', 'Send timely reminders and replenishment nudges: a median of 80 days since the last purchase against 40 days for all customers.'],
    ]);

    // A threshold pain replaces the comparison; a segment without events is compared on what it has.
    f.segment.median_recency_days = 120;
    expect(codes(en(f).pain_points)).toEqual(['needs_reminders']);
    const ordersOnly = fixture();
    ordersOnly.segment.conversion_rate = null;
    ordersOnly.segment.cart_abandonment_rate = null;
    const p = build(ordersOnly, { languages: ['en', 'de'] }).byLanguage;
    expect(p.en![0]!.pain_points[0]!.evidence.map((e) => e.metric)).toEqual(['return_rate', 'median_recency_days']);
    expect(p.de![0]!.pain_points[0]!.text).toBe('Keine Hürde sticht heraus: keine der Kennzahlen Retourenquote und Tage seit dem letzten Kauf (Median) ist um mehr als 25\u00a0% schlechter als bei allen Kunden.');
  });

  it('reports coverage and drops the age sentence when ages are removed', () => {
    const f = fixture();
    const before = en(f);
    expect(before.coverage.age_band).toBeCloseTo(163 / 200, 6);
    expect(codes(before.identity.story.evidence.map((e) => ({ code: e.metric })))).toContain('age_band=25_34');
    f.dims.age_band = { '(null)': 200 };
    f.row.with_age = 0;
    f.row.avg_age = null;
    const after = en(f);
    expect(after.coverage.age_band).toBe(0);
    expect(after.demographics.age_band.dominant).toBeNull();
    expect(after.demographics.avg_age).toBeNull();
    expect(after.identity.story.text).not.toContain('age group');
  });

  it('computes lift against all customers for interests and names the most over-represented one as a motivation', () => {
    const p = en(fixture());
    const running = p.psychographics.interests.values.find((v) => v.value === 'running');
    expect(running).toMatchObject({ share: 0.6, baseline_share: 0.2, lift: 3 });
    expect(p.motivations.find((m) => m.code === 'passion')?.evidence[0]).toMatchObject({ metric: 'interests=running', value: 0.6, baseline: 0.2 });
    expect(p.distinguishing_traits.length).toBeGreaterThan(0);
    for (const t of p.distinguishing_traits) expect(Math.abs(t.standardized_difference)).toBeGreaterThanOrEqual(0.2);
  });

  it('states the top-category goal against all customers’ share, so a category less common than average is not read as their passion', () => {
    const f = fixture();
    f.dims.top_category = { shoes: 120, books: 80 };
    const goal = en(f).goals.find((g) => g.code === 'find_category');
    expect(goal?.evidence).toEqual([{ metric: 'top_category=shoes', value: 0.6, baseline: 0.3 }]);
    expect(goal?.text).toBe('Find the right shoes products: the top category of 60% of them against 30% of all customers.');
    f.allDims.top_category = { shoes: 700, books: 300 };
    expect(en(f).goals.find((g) => g.code === 'find_category')?.text).toContain('shoes products: the top category of 60% of them against 70% of all customers');
  });

  it('places the segment on the adoption curve by the documented z-score rule', () => {
    const f = fixture();
    expect(en(f).technographics.innovation.type).toBe('early_majority'); // same signals as all customers: z = 0
    // Written so that every group reads right after "the": "belong to the early majority", "… to the laggards".
    expect(en(f).identity.story.text).toContain('When it comes to new ways of shopping they belong to the early majority.');
    f.row.avg_app_share = 0.3 + 0.3 * 4; // app z = 4
    f.row.avg_mobile_share = 0.5 + 0.3 * 3; // mobile z = 3 → with push 0, social 0: mean 1.75
    expect(en(f).technographics.innovation).toMatchObject({ type: 'early_adopter', score: 1.75 });
    f.row.avg_app_share = 0;
    f.row.avg_mobile_share = 0;
    f.row.social_clicks = 0;
    f.row.push_opt_in = 0;
    f.allRow.sd_social_clicks = 0.1; // z: app −1, mobile −1.67, push −0.58, social −2 → mean −1.31
    expect(en(f).technographics.innovation).toMatchObject({ type: 'laggard', score: -1.311 });
    expect(en(f).identity.story.text).toContain('they belong to the laggards.');
  });

  it('ranks channels by consent × engagement', () => {
    const f = fixture();
    const rank = (p: Persona, c: string) => p.preferred_channels.find((x) => x.channel === c)!.rank;
    const before = rank(en(f), 'push');
    f.row.push_opt_in = 200;
    f.row.push_opens = 400;
    expect(rank(en(f), 'push')).toBeLessThan(before);
    expect(en(f).preferred_channels.map((c) => c.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('gives deterministic, alliterative and unique names', () => {
    const f = fixture();
    f.extraSegments = [summary('twin', 'rule', 200)];
    for (const language of ['en', 'de', 'nb'] as const) {
      const personas = build(f, { languages: [language] }).byLanguage[language]!;
      const names = personas.map((p) => p.identity.name);
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) {
        const [a, b] = name.split(' ');
        expect(a![0], name).toBe(b![0]);
      }
      expect(build(f, { languages: [language] }).byLanguage[language]!.map((p) => p.identity.name)).toEqual(names);
    }
  });
});

describe('persona privacy', () => {
  it('suppresses a segment of one and never describes it', () => {
    const f = fixture();
    f.extraSegments = [summary('solo', 'rule', 1), summary('nobody', 'rule', 0)];
    const set = build(f);
    expect(set.suppressed).toEqual([
      { segment_id: 'solo', segment_kind: 'rule', size: 1, reason: 'below_min_segment_size' },
      { segment_id: 'nobody', segment_kind: 'rule', size: 0, reason: 'empty' },
    ]);
    expect(set.byLanguage.en!.map((p) => p.segment.id)).toEqual(['test']);
  });

  it('folds every value held by fewer customers than the minimum into "other": no unique city, occupation or interest', () => {
    const p = en(fixture());
    const json = JSON.stringify(p);
    for (const rare of ['Uniqueville', 'astronaut', 'falconry', '65_plus']) expect(json).not.toContain(rare);
    expect(p.demographics.occupation).toMatchObject({ dominant: 'engineer', other: { customers: 1, values: 1 } });
    expect(p.demographics.age_band.other).toEqual({ customers: 3, share: 0.015, values: 1 });
    expect(p.psychographics.interests.other).toEqual({ customers: 2, share: null, values: 1 });
    expect(foldRare([{ value: 'a', customers: 49 }, { value: 'b', customers: 50 }, { value: null, customers: 7 }], 50)).toEqual({
      kept: [{ value: 'b', customers: 50 }],
      other: { customers: 49, values: 1 },
      known: 99,
    });
    // A larger minimum folds more and can suppress the persona itself.
    expect(build(fixture(), { minSegmentSize: 150 }).byLanguage.en![0]!.geography.country.values.map((v) => v.value)).toEqual(['DE']);
    expect(build(fixture(), { minSegmentSize: 201 }).byLanguage.en).toEqual([]);
  });
});

describe('persona languages', () => {
  const all = build(
    (() => {
      const f = fixture();
      f.segment.cart_abandonment_rate = 0.8;
      f.segment.median_recency_days = 120;
      f.segment.share = 0.2345;
      return f;
    })(),
    { languages: [...PERSONA_LANGUAGES] },
  );

  it('renders every language, each validating against the published schema', () => {
    for (const language of PERSONA_LANGUAGES) {
      const p = all.byLanguage[language]![0]!;
      expect(Persona.safeParse(p).success, language).toBe(true);
      expect(p.language).toBe(language);
      expect(p.identity.story.text.length).toBeGreaterThan(50);
      // Language-neutral facts are identical across languages.
      expect(p.behaviour).toMatchObject({ cart_abandonment_rate: 0.8, median_recency_days: 120 });
      expect(codes(p.pain_points)).toEqual(codes(all.byLanguage.en![0]!.pain_points));
    }
  });

  it('formats numbers with the locale (decimal comma in German and Norwegian)', () => {
    const share = (language: PersonaLanguage) => new Formatter(MESSAGES[language]).pct(0.2345);
    expect(share('de')).toMatch(/^23,5\s%$/u);
    expect(share('nb')).toMatch(/^23,5\s%$/u);
    expect(share('en')).toBe('23.5%');
    for (const language of PERSONA_LANGUAGES) {
      expect(all.byLanguage[language]![0]!.identity.story.text, language).toContain(share(language));
    }
    expect(all.byLanguage.de![0]!.identity.story.text).toMatch(/50,00\s€/u);
    expect(all.byLanguage.ja![0]!.identity.story.text).toContain('€50.00');
    // The JSON names its money unit, and its Markdown formats from it alone.
    expect(all.byLanguage.de![0]!.currency).toBe('EUR');
    expect(personaMarkdown(all.byLanguage.de![0]!)).toMatch(/durchschnittlicher Bestellwert\*\*: 50,00\s€/u);
  });

  it('has the same keys and placeholders in every catalogue and leaks no English template into the others', () => {
    const enText = MESSAGES.en.text;
    for (const language of PERSONA_LANGUAGES.filter((l) => l !== 'en')) {
      const text = MESSAGES[language].text;
      expect(Object.keys(text).sort()).toEqual([...TEXT_KEYS].sort());
      for (const key of TEXT_KEYS) {
        expect(placeholders(text[key]), `${language}.${key}`).toEqual(placeholders(enText[key]));
        if (key !== 'h_segment' && enText[key].length > 12) expect(text[key], `${language}.${key}`).not.toBe(enText[key]);
      }
      const p = all.byLanguage[language]![0]!;
      const rendered = [p.identity.story.text, ...p.pain_points, ...p.next_actions, ...p.user_stories, ...p.goals].map((x) => (typeof x === 'string' ? x : x.text)).join(' ');
      for (const english of ['customers', ' against ', 'the segment', 'As ', 'I want', 'so that', 'rule:']) expect(rendered, `${language}: ${english}`).not.toContain(english);
    }
  });

  it('names have an initial with a name list in every language that has its own naming', () => {
    for (const language of PERSONA_LANGUAGES) {
      const naming = MESSAGES[language].naming;
      if (!naming) continue;
      for (const epithet of Object.values(naming.epithet)) expect(naming.names[epithet[0]!.toUpperCase()], `${language} ${epithet}`).toBeDefined();
    }
  });

  it('renders Markdown with the language’s headings and labels', () => {
    const md = personaMarkdown(all.byLanguage.de![0]!);
    expect(md).toMatch(/^# \S+ \S+ — /);
    for (const heading of ['## Geschichte', '## Schmerzpunkte', '## Empfohlene nächste Schritte', '## Datenabdeckung']) expect(md).toContain(heading);
    expect(md).toContain('30. Juni 2026');
    expect(personaMarkdown(all.byLanguage.ko![0]!)).toContain('## 불편 사항');
    expect(personaMarkdown(all.byLanguage.ja![0]!)).toContain('2026年6月30日');
    expect(() => fillTemplate('{missing}', {})).toThrow(/missing/);
  });

  it('chooses plural forms by the language’s rules for the number as shown', () => {
    const days = '{n, plural, one {# day} other {# days}} ago';
    expect(fillTemplate(days, { n: '1' }, { n: 'one' })).toBe('1 day ago');
    expect(fillTemplate(days, { n: '2' }, { n: 'other' })).toBe('2 days ago');
    expect(fillTemplate('{n, plural, other {# days}}', { n: '1' }, { n: 'one' })).toBe('1 days');
    expect(() => fillTemplate(days, { n: '1' })).toThrow(/no plural category/);
    expect(() => fillTemplate('{n, plural, one {# day}}', { n: '2' }, { n: 'other' })).toThrow(/no "other" form/);
    expect(placeholders(days)).toEqual(['n']);
    const en = new Formatter(MESSAGES.en);
    expect([1, 1.04, -1, 1.5, 0, 2].map((v) => en.plural(v, 1))).toEqual(['one', 'one', 'one', 'other', 'other', 'other']);
    expect(en.plural(1.04, 2)).toBe('other');
    expect(new Formatter(MESSAGES.ja).plural(1, 0)).toBe('other');
  });

  it('counts the values folded away, in the singular for one, apart from a value named "other"', () => {
    const f = fixture();
    f.dims.gender = { female: 120, male: 60, non_binary: 10 };
    f.dims.country = { DE: 150, NO: 20, SE: 10 };
    f.dims.top_category = { other: 110, books: 60, toys: 10 };
    const md = personaMarkdown(en(f));
    expect(md).toMatch(/\*\*gender\*\*: .*, 1 more value 5%/);
    expect(md).toMatch(/\*\*country\*\*: .*, 2 more values 15%/);
    expect(md).toMatch(/\*\*top category\*\*: other 55%.*, 1 more value 5%/);
    expect(personaMarkdown(build(f, { languages: ['de'] }).byLanguage.de![0]!)).toContain('1 weiterer Wert');
  });

  it('names ISO country codes in each language and keeps written-out countries and the codes themselves', () => {
    const f = fixture();
    f.dims.country = { DE: 130, 'United Kingdom': 60 };
    const built = build(f, { languages: ['en', 'de', 'ja'] }).byLanguage;
    const country = (language: 'en' | 'de' | 'ja') => built[language]![0]!.geography.country;
    expect(country('en').values.map((v) => [v.value, v.label])).toEqual([['DE', 'Germany'], ['United Kingdom', 'United Kingdom']]);
    expect(country('de')).toMatchObject({ dominant: 'DE', dominant_label: 'Deutschland' });
    expect(country('ja').dominant_label).toBe('ドイツ');
    // Written as a label, so a country that takes an article ("the United Kingdom", "im Vereinigten Königreich") reads right.
    expect(built.de![0]!.identity.story.text).toContain('Häufigstes Land: Deutschland (68,4\u00a0% der bekannten Länder).');
    expect(built.en![0]!.identity.story.text).toContain('Most common country: Germany (68.4% of known countries).');
  });

  it('shows free-text values as words (retail_worker → retail worker) and keeps the values themselves in the JSON', () => {
    const f = fixture();
    f.dims.occupation = { retail_worker: 70 };
    f.allDims.occupation = { retail_worker: 100, engineer: 200 };
    f.dims.interests = { board_games: 150 };
    f.allDims.interests = { board_games: 200, running: 500 };
    const persona = build(f, { languages: ['en'] }).byLanguage.en![0]!;
    expect(persona.demographics.occupation.values.map((v) => [v.value, v.label])).toEqual([['retail_worker', 'retail worker']]);
    expect(persona.psychographics.interests.dominant).toBe('board_games');
    expect(persona.identity.story.text).toContain('especially into board games (');
    expect(personaMarkdown(persona)).toContain('- **occupation**: retail worker 35% — known for 35%');
  });

  it('on a lake with orders only, names what the data lacks once per section and ranks the web shop it orders from', () => {
    const f = fixture();
    f.segment = { avg_frequency: 1, conversion_rate: null, cart_abandonment_rate: null };
    for (const row of [f.row, f.allRow]) {
      Object.assign(row, { with_events: 0, avg_app_share: null, avg_mobile_share: null, email_opt_in: 0, sms_opt_in: 0, push_opt_in: 0 });
      Object.assign(row, { email_opens: 0, email_clicks: 0, push_opens: 0, sms_clicks: 0, social_clicks: 0, app_opens: 0, with_age: 0, avg_age: null });
      Object.assign(row, { with_interests: 0, with_lifestyle: 0, sd_mobile_share: null, sd_app_share: null, sd_social_clicks: null });
    }
    for (const dims of [f.dims, f.allDims]) {
      for (const d of ['age_band', 'gender', 'occupation', 'interests', 'lifestyle', 'top_device', 'top_os', 'top_browser']) delete dims[d];
    }
    f.dims.top_order_channel = { web: 150, store: 50 };
    const p = en(f);
    const web = p.preferred_channels.find((c) => c.channel === 'web')!;
    expect(web).toMatchObject({ rank: 1, reachable_share: 0.75, engagement: 1, score: 0.75 });
    expect(p.preferred_channels.find((c) => c.channel === 'store')).toMatchObject({ rank: 2, score: 0.25 });
    expect(p.preferred_channels.find((c) => c.channel === 'app')).toMatchObject({ score: 0 });
    expect(p.identity.story.text).toContain('They buy once on average');
    // A label, so a channel that takes an article ("the website", "die Website") reads right in every language.
    expect(p.identity.story.text).toContain('Best channel to reach them: website.');
    expect(build(f, { languages: ['de'] }).byLanguage.de![0]!.identity.story.text).toContain('Bester Kanal, um sie zu erreichen: Website.');
    expect(p.distinguishing_traits.find((d) => d.feature === 'avg_frequency')?.text).toBe('orders per customer: 1 against 3 for all customers (-1 standard deviation).');

    expect(Object.values(p.technographics.engagement_per_customer)).toEqual([null, null, null, null, null, null]);
    const md = personaMarkdown(p);
    expect(md).not.toMatch(/unknown/);
    expect(md).toMatch(/## Demographics\n\n- _no data for: average age, age, gender, income, education, marital status and occupation_\n/);
    expect(md).toMatch(/## Geography\n\n- \*\*country\*\*: Germany 75%, 1 more value 20% — known for 95%\n- _no data for: region_\n/);
    expect(md).toContain('- _no data for: device, operating system, browser, app share of events, mobile share of events, e-mail opens per customer and social clicks per customer_');
    expect(md).toMatch(/## Interests and lifestyle\n\n- _no data for: interests and lifestyle_\n/);
    expect(md).toMatch(/## Preferred channels\n\n1\. website: 75% reachable.*\n2\. store: 25% reachable.*\n\n_Score 0 \(no reach or no engagement in the data\): app, e-mail, push notifications, SMS and social media\._/);

    const withEvents = personaMarkdown(en(fixture()));
    expect(withEvents).not.toMatch(/## Technology\n[^#]*no data for/);
    expect(withEvents).toMatch(/## Preferred channels\n\n(\d\. .*\n){7}\n## Goals/);
    expect(withEvents).toMatch(/\*\*e-mail opens per customer\*\*: 1\n/);
    expect(en(fixture()).technographics.engagement_per_customer).toMatchObject({ email_opens: 1, app_opens: 1 });
    expect(en(fixture()).identity.story.text).toContain('They buy 3 times on average');
  });
});
