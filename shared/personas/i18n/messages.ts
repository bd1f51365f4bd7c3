import type { ARCHETYPES, INNOVATION_TYPES, PERSONA_CHANNELS } from '../../contracts/outputs.ts';
import type { AGE_BANDS } from '../../contracts/features.ts';
import type { BROWSER_FAMILIES, DEVICE_TYPES, EDUCATION_LEVELS, GENDERS, INCOME_BANDS, MARITAL_STATUSES, ORDER_CHANNELS, OS_FAMILIES } from '../../contracts/lake.ts';

/**
 * The message catalogue of one language. Every language file is one object of this type, so a missing or
 * misspelt key fails the type check. Templates use `{name}` placeholders filled with figures formatted by Intl;
 * a count that a noun follows uses ICU's plural form, `{n, plural, one {# day} other {# days}}`, chosen by
 * Intl.PluralRules for the number as shown, so a new language brings its own plural categories.
 */
export const TEXT_KEYS = [
  'story_intro', 'story_buyer', 'story_browser', 'story_age', 'story_country', 'story_interest', 'story_channel', 'story_innovation',
  'innovation_text', 'innovation_unknown', 'channel_text',
  'goal_gifting', 'goal_mobile', 'goal_premium', 'goal_reorder', 'goal_explore', 'goal_category',
  'pain_checkout', 'pain_reminders', 'pain_returns', 'pain_hesitant',
  'pain_rel_checkout', 'pain_rel_reminders', 'pain_rel_returns', 'pain_rel_hesitant', 'pain_none',
  'mot_value', 'mot_recognition', 'mot_occasions', 'mot_passion', 'mot_informed', 'mot_convenience',
  'act_first_purchase', 'act_win_back', 'act_remind', 'act_remind_gap', 'act_reward', 'act_onboard', 'act_upsell', 'act_cart_recovery', 'act_seasonal',
  'act_reduce_returns', 'act_nurture',
  'user_story',
  'want_gifting', 'benefit_gifting', 'want_mobile', 'benefit_mobile', 'want_premium', 'benefit_premium', 'want_reorder', 'benefit_reorder',
  'want_explore', 'benefit_explore', 'want_category', 'benefit_category', 'want_checkout', 'benefit_checkout', 'want_reminders',
  'benefit_reminders', 'want_returns', 'benefit_returns', 'want_hesitant', 'benefit_hesitant',
  'trait_numeric', 'trait_share',
  'h_story', 'h_segment', 'h_demographics', 'h_geography', 'h_psychographics', 'h_behaviour', 'h_technographics', 'h_channels', 'h_goals',
  'h_pain_points', 'h_motivations', 'h_user_stories', 'h_next_actions', 'h_traits', 'h_coverage',
  'md_meta', 'md_archetype', 'md_size', 'md_other', 'md_missing', 'md_no_reach', 'md_unknown', 'md_none', 'md_known', 'md_value', 'md_share', 'md_lift', 'md_evidence',
] as const;
export type TextKey = (typeof TEXT_KEYS)[number];

export const FEATURE_LABEL_KEYS = [
  'avg_frequency', 'avg_monetary', 'avg_recency_days', 'median_recency_days', 'avg_order_value', 'buyers_share', 'browsers_share',
  'conversion_rate', 'cart_abandonment_rate', 'return_rate', 'christmas_share', 'halloween_share', 'app_share', 'mobile_share',
  'social_clicks', 'email_opt_in', 'sms_opt_in', 'push_opt_in', 'email_opens', 'email_clicks', 'push_opens', 'sms_clicks', 'app_opens',
  'avg_age', 'age_band', 'gender', 'income_band', 'education', 'marital_status', 'occupation', 'country', 'region', 'interests',
  'lifestyle', 'top_category', 'top_order_channel', 'top_device', 'top_os', 'top_browser', 'events', 'profile', 'innovation',
] as const;
export type FeatureLabelKey = (typeof FEATURE_LABEL_KEYS)[number];

type Vocabulary<T extends readonly string[]> = Record<T[number], string>;

export interface Messages {
  /** BCP 47 locale for Intl number, percent and date formatting. */
  readonly locale: string;
  readonly text: Record<TextKey, string>;
  readonly features: Record<FeatureLabelKey, string>;
  /** Fixed vocabularies (enums) translated; free-text data values (categories, countries, tags) stay as in the data. */
  readonly values: {
    readonly gender: Vocabulary<typeof GENDERS>;
    readonly age_band: Vocabulary<typeof AGE_BANDS>;
    readonly income_band: Vocabulary<typeof INCOME_BANDS>;
    readonly education: Vocabulary<typeof EDUCATION_LEVELS>;
    readonly marital_status: Vocabulary<typeof MARITAL_STATUSES>;
    readonly top_device: Vocabulary<typeof DEVICE_TYPES>;
    readonly top_os: Vocabulary<typeof OS_FAMILIES> & { other: string };
    readonly top_browser: Vocabulary<typeof BROWSER_FAMILIES> & { other: string };
    readonly top_order_channel: Vocabulary<typeof ORDER_CHANNELS>;
  };
  readonly channel: Vocabulary<typeof PERSONA_CHANNELS>;
  readonly archetype: Vocabulary<typeof ARCHETYPES>;
  readonly innovation: Vocabulary<typeof INNOVATION_TYPES>;
  /**
   * Alliterative names: the epithet of the archetype, then a first name with the same initial (by initial, upper
   * case). `null` keeps the English name, for languages where Latin-letter alliteration does not carry over.
   */
  readonly naming: { readonly epithet: Vocabulary<typeof ARCHETYPES>; readonly names: Readonly<Record<string, readonly string[]>> } | null;
}

export type ValueDimension = keyof Messages['values'];
