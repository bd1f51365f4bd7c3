import type { ARCHETYPES, Evidence } from '../contracts/outputs.ts';
import type { Channel, NeutralChannel } from './channels.ts';
import type { FeatureLabelKey, TextKey } from './i18n/index.ts';
import type { Innovation, InnovationType } from './innovation.ts';
import { liftOf, type SegmentMetrics } from './metrics.ts';
import type { NeutralDistribution } from './traits.ts';
import { compareText } from '../compare.ts';

/**
 * The persona's rules: data → statement. Each rule compares one figure of the segment with a threshold (absolute,
 * or relative to all customers) and, when it fires, emits a statement code with the figure, the baseline and the
 * threshold as evidence. Statements are language-neutral here (a template key and typed parameters); render.ts
 * turns them into text per language. The thresholds are documented in the README (section Personas).
 */
export const THRESHOLDS = {
  /** browsers_share ≥ → browser archetype, goal "explore", action "first purchase". */
  browserShare: 0.5,
  /** median days since last purchase ≥ → lapsed archetype and "win back". */
  lapsedDays: 180,
  /** median days since last purchase ≥ → pain point "needs reminders" (and "remind" below lapsedDays). */
  reminderDays: 90,
  /** avg_frequency ≥ × all customers' → loyal: goal "reorder", motivation "recognition". */
  loyalFrequencyRatio: 1.5,
  /** … and median recency ≤ → loyal regular archetype, action "reward loyalty". */
  loyalMaxRecencyDays: 60,
  /** avg_frequency ≤ and median recency ≤ → newcomer archetype, action "onboard". */
  newcomerMaxFrequency: 2.5,
  newcomerMaxRecencyDays: 30,
  /**
   * Christmas + Halloween share of purchase orders ≥, and ≥ × all customers' → holiday shopper, goal/motivation/action
   * "seasonal". The windows hold a third of a seasonal shop's orders, so the share alone would call an average
   * segment a holiday shopper.
   */
  occasionShare: 0.3,
  occasionRatio: 1.5,
  /** return rate (returned / purchase revenue) ≥ → returner, pain point "fit/quality doubts". */
  returnRate: 0.15,
  /** AOV ≥ × all customers' → big spender, goal "premium". */
  premiumAovRatio: 1.3,
  /** AOV ≤ × all customers' → bargain hunter, motivation "value for money". */
  bargainAovRatio: 0.7,
  /** mobile share of events ≥, or app share ≥ → mobile native, goal "shop on the phone". */
  mobileShare: 0.75,
  appShare: 0.5,
  /** cart abandonment ≥ → pain point "checkout friction", action "cart recovery". */
  cartAbandonment: 0.65,
  /** conversion (purchase events / product views) < → pain point "hesitant". */
  lowConversion: 0.1,
  /** lift of the top interest ≥ → motivation "passion for …", story sentence. */
  interestLift: 1.2,
  /** e-mail opens per customer ≥ × all customers' → motivation "staying informed". */
  emailOpensRatio: 1.2,
  /**
   * When no pain point above fires: the friction figure (cart abandonment, return rate, median recency; conversion
   * inverted) that is worst against all customers' becomes the pain point if it is at least this many times theirs;
   * otherwise the persona says that no friction stands out, with the figures that show it.
   */
  relativePainRatio: 1.25,
} as const;

export type Param =
  | { pct: number | null }
  | { num: number | null; digits?: number }
  | { money: number | null }
  | { times: number | null }
  | { int: number }
  | { label: { dimension: string; value: string } }
  | { features: readonly FeatureLabelKey[] }
  | { channel: Channel }
  | { innovation: InnovationType }
  | { persona_name: true }
  | { segment_name: true }
  | { template: TextKey; params: Readonly<Record<string, Param>> };

export interface NeutralStatement {
  code: string;
  key: TextKey;
  params: Readonly<Record<string, Param>>;
  evidence: Evidence[];
}

export type Archetype = (typeof ARCHETYPES)[number];

export interface RuleInput {
  m: SegmentMetrics;
  all: SegmentMetrics;
  distributions: Readonly<Record<string, NeutralDistribution>>;
  channels: readonly NeutralChannel[];
  innovation: Innovation;
}

const T = THRESHOLDS;
const ge = (v: number | null, t: number): v is number => v !== null && v >= t;
const ratio = (v: number | null, b: number | null) => liftOf(v, b);
const ev = (metric: string, value: number | null, baseline?: number | null, threshold?: number): Evidence => ({
  metric,
  value,
  ...(baseline !== undefined ? { baseline } : {}),
  ...(threshold !== undefined ? { threshold } : {}),
});

/** The interest most over-represented against all customers, when at least interestLift times as common. */
export function topInterest<V extends { value: string; lift: number | null }>(values: readonly V[]): V | undefined {
  return [...values].filter((v) => v.lift !== null && v.lift >= T.interestLift).sort((a, b) => (b.lift ?? 0) - (a.lift ?? 0) || compareText(a.value, b.value))[0];
}

/** Facts the rules share: computed once, so archetype, goals and actions always agree. */
function signals({ m, all, distributions }: RuleInput) {
  const aovRatio = ratio(m.avg_order_value, all.avg_order_value);
  const frequencyRatio = ratio(m.avg_frequency, all.avg_frequency);
  return {
    browser: m.browsers_share >= T.browserShare,
    lapsed: ge(m.median_recency_days, T.lapsedDays),
    needsReminders: ge(m.median_recency_days, T.reminderDays),
    frequent: ge(frequencyRatio, T.loyalFrequencyRatio),
    loyal: ge(frequencyRatio, T.loyalFrequencyRatio) && m.median_recency_days !== null && m.median_recency_days <= T.loyalMaxRecencyDays,
    newcomer:
      m.avg_frequency !== null && m.avg_frequency > 0 && m.avg_frequency <= T.newcomerMaxFrequency &&
      m.median_recency_days !== null && m.median_recency_days <= T.newcomerMaxRecencyDays,
    seasonal: ge(m.occasion_share, T.occasionShare) && ge(ratio(m.occasion_share, all.occasion_share), T.occasionRatio),
    returner: ge(m.return_rate, T.returnRate),
    premium: ge(aovRatio, T.premiumAovRatio),
    bargain: aovRatio !== null && aovRatio <= T.bargainAovRatio,
    mobile: ge(m.mobile_share, T.mobileShare) || ge(m.app_share, T.appShare),
    app: ge(m.app_share, T.appShare),
    checkout: ge(m.cart_abandonment_rate, T.cartAbandonment),
    hesitant: m.conversion_rate !== null && m.conversion_rate < T.lowConversion,
    informed: m.email_opens > 0 && ge(ratio(m.email_opens, all.email_opens), T.emailOpensRatio),
    upsell: m.avg_order_value !== null && all.avg_order_value !== null && m.avg_order_value < all.avg_order_value &&
      m.avg_frequency !== null && all.avg_frequency !== null && m.avg_frequency >= all.avg_frequency,
    topInterest: topInterest(distributions.interests?.values ?? []),
    // The catch-all category 'other' says nothing about what they look for.
    topCategory: distributions.top_category?.values.find((v) => v.value !== 'other'),
    aovRatio,
    frequencyRatio,
  };
}

/** First matching archetype, in this order (documented in the README). */
export function archetypeOf(input: RuleInput): { code: Archetype; evidence: Evidence[] } {
  const s = signals(input);
  const { m, all } = input;
  const order: [boolean, Archetype, Evidence[]][] = [
    [s.browser, 'browser', [ev('browsers_share', m.browsers_share, all.browsers_share, T.browserShare)]],
    [s.seasonal, 'holiday_shopper', [ev('occasion_share', m.occasion_share, all.occasion_share, T.occasionShare), ev('occasion_share', m.occasion_share, all.occasion_share, T.occasionRatio)]],
    [s.lapsed, 'lapsed', [ev('median_recency_days', m.median_recency_days, all.median_recency_days, T.lapsedDays)]],
    [s.loyal, 'loyal_regular', [ev('avg_frequency', m.avg_frequency, all.avg_frequency, T.loyalFrequencyRatio), ev('median_recency_days', m.median_recency_days, all.median_recency_days, T.loyalMaxRecencyDays)]],
    [s.newcomer, 'newcomer', [ev('avg_frequency', m.avg_frequency, all.avg_frequency, T.newcomerMaxFrequency), ev('median_recency_days', m.median_recency_days, all.median_recency_days, T.newcomerMaxRecencyDays)]],
    [s.returner, 'returner', [ev('return_rate', m.return_rate, all.return_rate, T.returnRate)]],
    [s.premium, 'big_spender', [ev('avg_order_value', m.avg_order_value, all.avg_order_value, T.premiumAovRatio)]],
    [s.bargain, 'bargain_hunter', [ev('avg_order_value', m.avg_order_value, all.avg_order_value, T.bargainAovRatio)]],
    [s.mobile, 'mobile_native', [ev('mobile_share', m.mobile_share, all.mobile_share, T.mobileShare), ev('app_share', m.app_share, all.app_share, T.appShare)]],
  ];
  const hit = order.find(([fires]) => fires);
  return hit ? { code: hit[1], evidence: hit[2] } : { code: 'occasional', evidence: [ev('avg_frequency', m.avg_frequency, all.avg_frequency)] };
}

export interface RuleStatements {
  goals: NeutralStatement[];
  pain_points: NeutralStatement[];
  motivations: NeutralStatement[];
  next_actions: NeutralStatement[];
  user_stories: NeutralStatement[];
}

const statement = (code: string, key: TextKey, params: Record<string, Param>, evidence: Evidence[]): NeutralStatement => ({ code, key, params, evidence });

/**
 * The figures a weakest point is looked for in (for conversion a lower figure is the worse one), each with the
 * threshold pain point whose user story it shares and the action that answers it (hesitant buyers get none either way).
 */
const FRICTIONS = [
  { code: 'more_abandoned_carts', key: 'pain_rel_checkout', metric: 'cart_abandonment_rate', lowerIsWorse: false, like: 'checkout_friction', action: ['cart_recovery', 'act_cart_recovery'] },
  { code: 'more_returns', key: 'pain_rel_returns', metric: 'return_rate', lowerIsWorse: false, like: 'fit_quality_doubts', action: ['reduce_returns', 'act_reduce_returns'] },
  { code: 'lower_conversion', key: 'pain_rel_hesitant', metric: 'conversion_rate', lowerIsWorse: true, like: 'hesitant_to_buy', action: null },
  { code: 'longer_gaps', key: 'pain_rel_reminders', metric: 'median_recency_days', lowerIsWorse: false, like: 'needs_reminders', action: ['remind', 'act_remind_gap'] },
] as const;
const weakPoint = (code: string) => FRICTIONS.find((f) => f.code === code);

/**
 * A segment that crosses no absolute pain threshold still has a weakest point, and a marketer should see it, or
 * see that there is none: the friction figure furthest on the bad side of all customers' (as a ratio, so a rate
 * and a number of days compare), if it is at least relativePainRatio times theirs.
 */
function relativePain(m: SegmentMetrics, all: SegmentMetrics): NeutralStatement[] {
  const r = T.relativePainRatio;
  const known = FRICTIONS.flatMap((f) => {
    const value = m[f.metric];
    const baseline = all[f.metric];
    const worse = f.lowerIsWorse ? ratio(baseline, value) : ratio(value, baseline);
    return value === null || worse === null ? [] : [{ ...f, value, baseline, worse, threshold: f.lowerIsWorse ? 1 / r : r }];
  });
  const worst = [...known].sort((a, b) => b.worse - a.worse)[0];
  if (worst && worst.worse >= r) {
    const figure = (v: number | null): Param => (worst.metric === 'median_recency_days' ? { num: v, digits: 0 } : { pct: v });
    return [statement(worst.code, worst.key, { value: figure(worst.value), baseline: figure(worst.baseline), threshold: { times: worst.threshold } }, [
      ev(worst.metric, worst.value, worst.baseline, worst.threshold),
    ])];
  }
  if (known.length === 0) return [];
  return [statement('no_clear_pain', 'pain_none', { figures: { features: known.map((x) => x.metric) }, margin: { pct: r - 1 } }, known.map((x) => ev(x.metric, x.value, x.baseline, x.threshold)))];
}

export function ruleStatements(input: RuleInput): RuleStatements {
  const s = signals(input);
  const { m, all } = input;
  const goals: NeutralStatement[] = [];
  const pains: NeutralStatement[] = [];
  const motivations: NeutralStatement[] = [];
  const actions: NeutralStatement[] = [];
  const occasionParams: Record<string, Param> = { value: { pct: m.occasion_share }, baseline: { pct: all.occasion_share }, threshold: { pct: T.occasionShare }, ratio: { times: T.occasionRatio } };
  const occasionEvidence = [ev('christmas_share', m.christmas_share, all.christmas_share), ev('halloween_share', m.halloween_share, all.halloween_share), ev('occasion_share', m.occasion_share, all.occasion_share, T.occasionShare), ev('occasion_share', m.occasion_share, all.occasion_share, T.occasionRatio)];

  // Goals
  if (s.seasonal) goals.push(statement('seasonal_gifting', 'goal_gifting', occasionParams, occasionEvidence));
  if (s.mobile) {
    goals.push(statement('shop_on_the_phone', 'goal_mobile', { value: { pct: m.mobile_share }, app: { pct: m.app_share }, threshold: { pct: T.mobileShare }, app_threshold: { pct: T.appShare } }, [
      ev('mobile_share', m.mobile_share, all.mobile_share, T.mobileShare),
      ev('app_share', m.app_share, all.app_share, T.appShare),
    ]));
  }
  if (s.premium) goals.push(statement('premium_quality', 'goal_premium', { value: { money: m.avg_order_value }, baseline: { money: all.avg_order_value }, threshold: { times: T.premiumAovRatio } }, [ev('avg_order_value', m.avg_order_value, all.avg_order_value, T.premiumAovRatio)]));
  if (s.frequent) goals.push(statement('easy_reorder', 'goal_reorder', { value: { num: m.avg_frequency }, baseline: { num: all.avg_frequency }, threshold: { times: T.loyalFrequencyRatio } }, [ev('avg_frequency', m.avg_frequency, all.avg_frequency, T.loyalFrequencyRatio)]));
  if (s.browser) goals.push(statement('explore_first', 'goal_explore', { value: { pct: m.browsers_share }, threshold: { pct: T.browserShare } }, [ev('browsers_share', m.browsers_share, all.browsers_share, T.browserShare)]));
  if (s.topCategory) {
    goals.push(statement('find_category', 'goal_category', { category: { label: { dimension: 'top_category', value: s.topCategory.value } }, value: { pct: s.topCategory.share }, baseline: { pct: s.topCategory.baseline_share } }, [
      ev(`top_category=${s.topCategory.value}`, s.topCategory.share, s.topCategory.baseline_share),
    ]));
  }

  // Pain points
  if (s.checkout) pains.push(statement('checkout_friction', 'pain_checkout', { value: { pct: m.cart_abandonment_rate }, baseline: { pct: all.cart_abandonment_rate }, threshold: { pct: T.cartAbandonment } }, [ev('cart_abandonment_rate', m.cart_abandonment_rate, all.cart_abandonment_rate, T.cartAbandonment)]));
  if (s.needsReminders) pains.push(statement('needs_reminders', 'pain_reminders', { value: { int: m.median_recency_days! }, threshold: { int: T.reminderDays } }, [ev('median_recency_days', m.median_recency_days, all.median_recency_days, T.reminderDays)]));
  if (s.returner) pains.push(statement('fit_quality_doubts', 'pain_returns', { value: { pct: m.return_rate }, baseline: { pct: all.return_rate }, threshold: { pct: T.returnRate } }, [ev('return_rate', m.return_rate, all.return_rate, T.returnRate)]));
  if (s.hesitant) pains.push(statement('hesitant_to_buy', 'pain_hesitant', { value: { pct: m.conversion_rate }, threshold: { pct: T.lowConversion } }, [ev('conversion_rate', m.conversion_rate, all.conversion_rate, T.lowConversion)]));
  if (pains.length === 0) pains.push(...relativePain(m, all));

  // Motivations
  if (s.bargain) motivations.push(statement('value_for_money', 'mot_value', { value: { money: m.avg_order_value }, baseline: { money: all.avg_order_value }, threshold: { times: T.bargainAovRatio } }, [ev('avg_order_value', m.avg_order_value, all.avg_order_value, T.bargainAovRatio)]));
  if (s.frequent) motivations.push(statement('recognition', 'mot_recognition', { value: { num: m.avg_frequency }, baseline: { num: all.avg_frequency }, threshold: { times: T.loyalFrequencyRatio } }, [ev('avg_frequency', m.avg_frequency, all.avg_frequency, T.loyalFrequencyRatio)]));
  if (s.seasonal) motivations.push(statement('festive_occasions', 'mot_occasions', occasionParams, occasionEvidence));
  if (s.topInterest) {
    motivations.push(statement('passion', 'mot_passion', {
      interest: { label: { dimension: 'interests', value: s.topInterest.value } },
      value: { pct: s.topInterest.share },
      baseline: { pct: s.topInterest.baseline_share },
      threshold: { times: T.interestLift },
    }, [ev(`interests=${s.topInterest.value}`, s.topInterest.share, s.topInterest.baseline_share, T.interestLift)]));
  }
  if (s.informed) motivations.push(statement('staying_informed', 'mot_informed', { value: { num: m.email_opens, digits: 2 }, baseline: { num: all.email_opens, digits: 2 }, threshold: { times: T.emailOpensRatio } }, [ev('email_opens_per_customer', m.email_opens, all.email_opens, T.emailOpensRatio)]));
  if (s.app) motivations.push(statement('convenience', 'mot_convenience', { value: { pct: m.app_share }, threshold: { pct: T.appShare } }, [ev('app_share', m.app_share, all.app_share, T.appShare)]));

  // Next actions
  if (s.browser) actions.push(statement('first_purchase_incentive', 'act_first_purchase', { value: { pct: m.browsers_share } }, [ev('browsers_share', m.browsers_share, all.browsers_share, T.browserShare)]));
  if (s.lapsed) actions.push(statement('win_back', 'act_win_back', { value: { int: m.median_recency_days! }, threshold: { int: T.lapsedDays } }, [ev('median_recency_days', m.median_recency_days, all.median_recency_days, T.lapsedDays)]));
  else if (s.needsReminders) actions.push(statement('remind', 'act_remind', { value: { int: m.median_recency_days! }, threshold: { int: T.reminderDays } }, [ev('median_recency_days', m.median_recency_days, all.median_recency_days, T.reminderDays)]));
  if (s.loyal) actions.push(statement('reward_loyalty', 'act_reward', { value: { num: m.avg_frequency }, baseline: { num: all.avg_frequency } }, [ev('avg_frequency', m.avg_frequency, all.avg_frequency, T.loyalFrequencyRatio), ev('median_recency_days', m.median_recency_days, all.median_recency_days, T.loyalMaxRecencyDays)]));
  if (s.newcomer) actions.push(statement('onboard', 'act_onboard', { value: { num: m.avg_frequency }, recency: { int: m.median_recency_days! } }, [ev('avg_frequency', m.avg_frequency, all.avg_frequency, T.newcomerMaxFrequency), ev('median_recency_days', m.median_recency_days, all.median_recency_days, T.newcomerMaxRecencyDays)]));
  if (s.upsell) actions.push(statement('upsell', 'act_upsell', { value: { money: m.avg_order_value }, baseline: { money: all.avg_order_value } }, [ev('avg_order_value', m.avg_order_value, all.avg_order_value), ev('avg_frequency', m.avg_frequency, all.avg_frequency)]));
  if (s.checkout) actions.push(statement('cart_recovery', 'act_cart_recovery', { value: { pct: m.cart_abandonment_rate } }, [ev('cart_abandonment_rate', m.cart_abandonment_rate, all.cart_abandonment_rate, T.cartAbandonment)]));
  if (s.seasonal) actions.push(statement('seasonal_campaign', 'act_seasonal', { value: { pct: m.occasion_share } }, occasionEvidence));
  if (s.returner) actions.push(statement('reduce_returns', 'act_reduce_returns', { value: { pct: m.return_rate } }, [ev('return_rate', m.return_rate, all.return_rate, T.returnRate)]));
  for (const pain of pains) {
    const action = weakPoint(pain.code)?.action;
    if (action) actions.push(statement(action[0], action[1], pain.params, pain.evidence));
  }
  const best = input.channels[0];
  if (actions.length === 0 && best && best.score > 0) {
    actions.push(statement('nurture', 'act_nurture', { channel: { channel: best.channel }, value: { num: best.score, digits: 2 } }, best.evidence));
  }

  // User stories: one per goal and pain point ("As <persona>, I want <want>, so that <benefit>").
  const STORY_KEYS: Record<string, [TextKey, TextKey]> = {
    seasonal_gifting: ['want_gifting', 'benefit_gifting'],
    shop_on_the_phone: ['want_mobile', 'benefit_mobile'],
    premium_quality: ['want_premium', 'benefit_premium'],
    easy_reorder: ['want_reorder', 'benefit_reorder'],
    explore_first: ['want_explore', 'benefit_explore'],
    find_category: ['want_category', 'benefit_category'],
    checkout_friction: ['want_checkout', 'benefit_checkout'],
    needs_reminders: ['want_reminders', 'benefit_reminders'],
    fit_quality_doubts: ['want_returns', 'benefit_returns'],
    hesitant_to_buy: ['want_hesitant', 'benefit_hesitant'],
  };
  const stories = [...pains, ...goals].slice(0, 4).flatMap((st) => {
    const keys = STORY_KEYS[weakPoint(st.code)?.like ?? st.code];
    if (!keys) return [];
    const category = st.params.category;
    const nested: Record<string, Param> = category ? { category } : {};
    return [statement(`story_${st.code}`, 'user_story', {
      name: { persona_name: true },
      want: { template: keys[0], params: nested },
      benefit: { template: keys[1], params: {} },
    }, st.evidence)];
  });

  return { goals, pain_points: pains, motivations, next_actions: actions, user_stories: stories };
}
