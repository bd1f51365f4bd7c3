import type { EDUCATION_LEVELS, EVENT_TYPES, INCOME_BANDS, ORDER_CHANNELS } from '../contracts/lake.ts';
import type { BASE_CATEGORIES, INTERESTS, LIFESTYLES, OCCUPATIONS } from './catalogues.ts';

/**
 * Planted behaviour patterns. They are deliberately far apart (frequency, recency, timing, platform, basket size)
 * so tests can check that the pipeline's segments recover them; the shares and ranges are tuned so the
 * population averages ~10 order rows and ~20 events per customer.
 */

type Weights<T extends string> = Partial<Record<T, number>>;
type EventType = (typeof EVENT_TYPES)[number];

/** Where a customer's web sessions happen; app orders and push/app events always use the phone or tablet. */
export type Platform = 'desktop_web' | 'mobile_web' | 'app';
export const PLATFORMS: readonly Platform[] = ['desktop_web', 'mobile_web', 'app'];

/** When activity happens: `recent` = last `recentDays` days; `since_signup` = signup day .. asOf - 1. */
export type Timing = 'season' | 'occasion' | 'lapsed' | 'recent' | 'since_signup';
/** Draw order days from this mix of timings. */
type TimingMix = Partial<Record<Timing, number>>;

export interface ArchetypeSpec {
  readonly name: string;
  readonly share: number;
  /** Sale orders per customer, inclusive range. */
  readonly orders: readonly [number, number];
  /** Weights for 1, 2, 3 lines per order. */
  readonly lines: readonly [number, number, number];
  /** Line amount in EUR: log-normal with this median and log-sd. */
  readonly amountEur: { readonly median: number; readonly sigma: number };
  readonly channels: Weights<(typeof ORDER_CHANNELS)[number]>;
  readonly categories: Weights<(typeof BASE_CATEGORIES)[number]>;
  /** Probability that an order inside an occasion window buys the occasion's categories. */
  readonly occasionAffinity: number;
  /** Share of sale lines that are returned. */
  readonly returnRate: number;
  readonly orderTiming: TimingMix;
  /** If set, the customer's newest order is within this many days of asOf (recency is the point of the archetype). */
  readonly lastOrderWithinDays?: number;
  /** Browsing sessions (page_view → product_view → add_to_cart → checkout_start funnel). */
  readonly sessions: readonly [number, number];
  /** Weights for session depth 1..4 (how far down the funnel a session gets). */
  readonly depth: readonly [number, number, number, number];
  readonly sessionTiming: TimingMix;
  /** Single events outside sessions: messaging opens/clicks, app opens, searches, reviews. */
  readonly touches: readonly [number, number];
  readonly touchMix: Weights<EventType>;
  readonly touchTiming: TimingMix;
  readonly platform: Record<Platform, number>;
  /** Probability that the customer reads email on a desktop. */
  readonly desktopMail: number;
  readonly birthYears: readonly [number, number];
  readonly income: Weights<(typeof INCOME_BANDS)[number]>;
  readonly education?: Weights<(typeof EDUCATION_LEVELS)[number]>;
  readonly occupations: Weights<(typeof OCCUPATIONS)[number]>;
  readonly optIn: { readonly email: number; readonly sms: number; readonly push: number };
  readonly interests: readonly (typeof INTERESTS)[number][];
  readonly lifestyles: readonly (typeof LIFESTYLES)[number][];
  /** Signup recency: `recent` signs up within the last 30 days; otherwise before the period. */
  readonly signup: 'before' | 'recent';
}

const everyday = { fashion: 3, electronics: 2, home: 2, beauty: 2, sports: 1.5, books: 1.5, grocery: 2, garden: 1 };
const anyOccupation = {
  engineer: 2,
  teacher: 2,
  nurse: 2,
  student: 1.5,
  retail_worker: 2,
  manager: 1.5,
  consultant: 1,
  designer: 1,
  craftsperson: 1.5,
  civil_servant: 1.5,
  retired: 2,
  self_employed: 1,
  physician: 0.5,
  executive: 0.5,
};
const webSessionTouches = { email_open: 4, email_click: 1.5, search: 2, push_open: 1, app_open: 1, social_click: 0.7, sms_click: 0.3, review: 0.4, remove_from_cart: 0.4 };

const none = [0, 0] as const;

export const ARCHETYPE_SPECS: readonly ArchetypeSpec[] = [
  {
    name: 'loyal_premium',
    share: 0.08,
    orders: [14, 28],
    lines: [0.45, 0.4, 0.15],
    amountEur: { median: 95, sigma: 0.45 },
    channels: { web: 70, store: 15, phone: 5, app: 10 },
    categories: { electronics: 3, fashion: 3, home: 3, beauty: 2, sports: 1.5, books: 1, garden: 1 },
    occasionAffinity: 0.3,
    returnRate: 0.03,
    orderTiming: { season: 1 },
    lastOrderWithinDays: 20,
    sessions: [3, 7],
    depth: [0.3, 0.35, 0.25, 0.1],
    sessionTiming: { season: 1 },
    touches: [4, 8],
    touchMix: { email_open: 6, email_click: 3, search: 1.5, review: 1, remove_from_cart: 0.3 },
    touchTiming: { season: 1 },
    platform: { desktop_web: 0.85, mobile_web: 0.1, app: 0.05 },
    desktopMail: 0.85,
    birthYears: [1958, 1985],
    income: { high: 5, upper_middle: 4, middle: 1 },
    education: { secondary: 1, vocational: 1, bachelor: 4, master: 4, doctorate: 1.5 },
    occupations: { executive: 3, manager: 4, physician: 2, consultant: 3, engineer: 3, self_employed: 1, retired: 1 },
    optIn: { email: 0.92, sms: 0.3, push: 0.15 },
    interests: ['travel', 'reading', 'photography', 'cooking'],
    lifestyles: ['luxury', 'frequent_traveler', 'urban'],
    signup: 'before',
  },
  {
    name: 'holiday_gifter',
    share: 0.12,
    orders: [2, 4],
    lines: [0.3, 0.4, 0.3],
    amountEur: { median: 38, sigma: 0.5 },
    channels: { web: 50, store: 30, marketplace: 20 },
    categories: everyday,
    occasionAffinity: 1,
    returnRate: 0.04,
    orderTiming: { occasion: 1 },
    sessions: [2, 5],
    depth: [0.35, 0.35, 0.2, 0.1],
    sessionTiming: { occasion: 0.8, season: 0.2 },
    touches: [2, 5],
    touchMix: { email_open: 5, email_click: 1.5, search: 2, social_click: 0.5 },
    touchTiming: { occasion: 0.6, season: 0.4 },
    platform: { desktop_web: 0.5, mobile_web: 0.35, app: 0.15 },
    desktopMail: 0.5,
    birthYears: [1965, 1995],
    income: { lower_middle: 2, middle: 4, upper_middle: 2, high: 0.5, low: 0.5 },
    occupations: anyOccupation,
    optIn: { email: 0.7, sms: 0.2, push: 0.2 },
    interests: ['crafts', 'cooking', 'movies'],
    lifestyles: ['family', 'suburban'],
    signup: 'before',
  },
  {
    name: 'mobile_bargain_hunter',
    share: 0.15,
    orders: [6, 13],
    lines: [0.75, 0.2, 0.05],
    amountEur: { median: 13, sigma: 0.45 },
    channels: { app: 75, social: 12, web: 8, marketplace: 5 },
    categories: { fashion: 4, beauty: 3, grocery: 3, electronics: 1, sports: 1 },
    occasionAffinity: 0.3,
    returnRate: 0.05,
    orderTiming: { season: 1 },
    sessions: [5, 10],
    depth: [0.15, 0.25, 0.35, 0.25],
    sessionTiming: { season: 1 },
    touches: [5, 10],
    touchMix: { push_open: 4, app_open: 4, social_click: 3, search: 2, remove_from_cart: 1, sms_click: 0.5, email_open: 0.5 },
    touchTiming: { season: 1 },
    platform: { desktop_web: 0.03, mobile_web: 0.22, app: 0.75 },
    desktopMail: 0.05,
    birthYears: [1994, 2007],
    income: { low: 5, lower_middle: 4, middle: 1 },
    education: { secondary: 5, vocational: 3, bachelor: 2 },
    occupations: { student: 6, retail_worker: 3, designer: 1, self_employed: 1, nurse: 1 },
    optIn: { email: 0.3, sms: 0.45, push: 0.9 },
    interests: ['gaming', 'fashion', 'music', 'tech'],
    lifestyles: ['budget', 'digital_native', 'urban'],
    signup: 'before',
  },
  {
    name: 'browser_never_buys',
    share: 0.15,
    orders: none,
    lines: [1, 0, 0],
    amountEur: { median: 1, sigma: 0 },
    channels: { web: 1 },
    categories: everyday,
    occasionAffinity: 0,
    returnRate: 0,
    orderTiming: { season: 1 },
    sessions: [6, 12],
    depth: [0.5, 0.35, 0.12, 0.03],
    sessionTiming: { season: 1 },
    touches: [1, 4],
    touchMix: { email_open: 3, search: 3, social_click: 1 },
    touchTiming: { season: 1 },
    platform: { desktop_web: 0.45, mobile_web: 0.45, app: 0.1 },
    desktopMail: 0.4,
    birthYears: [1955, 2005],
    income: { low: 2, lower_middle: 2, middle: 2, upper_middle: 1, high: 0.5 },
    occupations: anyOccupation,
    optIn: { email: 0.35, sms: 0.1, push: 0.15 },
    interests: ['movies', 'reading', 'tech'],
    lifestyles: ['suburban', 'rural'],
    signup: 'before',
  },
  {
    name: 'lapsed',
    share: 0.1,
    orders: [3, 8],
    lines: [0.45, 0.35, 0.2],
    amountEur: { median: 35, sigma: 0.55 },
    channels: { web: 55, store: 25, app: 10, marketplace: 10 },
    categories: everyday,
    occasionAffinity: 0.3,
    returnRate: 0.04,
    orderTiming: { lapsed: 1 },
    sessions: [1, 4],
    depth: [0.4, 0.3, 0.2, 0.1],
    sessionTiming: { lapsed: 1 },
    // A lapsed customer still gets the newsletter and sometimes opens it, but does nothing else.
    touches: [2, 5],
    touchMix: { email_open: 1 },
    touchTiming: { recent: 1 },
    platform: { desktop_web: 0.55, mobile_web: 0.35, app: 0.1 },
    desktopMail: 0.55,
    birthYears: [1950, 2000],
    income: { lower_middle: 2, middle: 3, upper_middle: 2, low: 1, high: 1 },
    occupations: anyOccupation,
    optIn: { email: 0.85, sms: 0.15, push: 0.1 },
    interests: ['gardening', 'reading', 'outdoor'],
    lifestyles: ['suburban', 'rural', 'family'],
    signup: 'before',
  },
  {
    name: 'new_customer',
    share: 0.05,
    orders: [1, 3],
    lines: [0.45, 0.35, 0.2],
    amountEur: { median: 40, sigma: 0.5 },
    channels: { web: 50, app: 35, social: 10, marketplace: 5 },
    categories: everyday,
    occasionAffinity: 0.4,
    returnRate: 0.03,
    orderTiming: { since_signup: 1 },
    sessions: [2, 5],
    depth: [0.3, 0.3, 0.25, 0.15],
    sessionTiming: { since_signup: 1 },
    touches: [2, 5],
    touchMix: { email_open: 3, email_click: 1, push_open: 1, app_open: 1, search: 1 },
    touchTiming: { since_signup: 1 },
    platform: { desktop_web: 0.4, mobile_web: 0.35, app: 0.25 },
    desktopMail: 0.4,
    birthYears: [1980, 2006],
    income: { low: 1, lower_middle: 2, middle: 3, upper_middle: 2, high: 1 },
    occupations: anyOccupation,
    optIn: { email: 0.75, sms: 0.3, push: 0.4 },
    interests: ['fitness', 'travel', 'fashion'],
    lifestyles: ['urban', 'digital_native'],
    signup: 'recent',
  },
  {
    name: 'serial_returner',
    share: 0.03,
    orders: [8, 16],
    lines: [0.3, 0.4, 0.3],
    amountEur: { median: 55, sigma: 0.5 },
    channels: { web: 60, app: 30, marketplace: 10 },
    categories: { fashion: 8, electronics: 2, beauty: 2, sports: 1 },
    occasionAffinity: 0.2,
    returnRate: 0.55,
    orderTiming: { season: 1 },
    sessions: [3, 7],
    depth: [0.2, 0.3, 0.3, 0.2],
    sessionTiming: { season: 1 },
    touches: [3, 7],
    touchMix: { email_open: 3, review: 2, search: 2, remove_from_cart: 1, push_open: 1 },
    touchTiming: { season: 1 },
    platform: { desktop_web: 0.45, mobile_web: 0.3, app: 0.25 },
    desktopMail: 0.45,
    birthYears: [1975, 2000],
    income: { middle: 3, upper_middle: 3, lower_middle: 1, high: 1 },
    occupations: anyOccupation,
    optIn: { email: 0.7, sms: 0.2, push: 0.3 },
    interests: ['fashion', 'fitness', 'photography'],
    lifestyles: ['urban', 'health_focused'],
    signup: 'before',
  },
  {
    name: 'inactive',
    share: 0.02,
    orders: none,
    lines: [1, 0, 0],
    amountEur: { median: 1, sigma: 0 },
    channels: { web: 1 },
    categories: everyday,
    occasionAffinity: 0,
    returnRate: 0,
    orderTiming: { season: 1 },
    sessions: none,
    depth: [1, 0, 0, 0],
    sessionTiming: { season: 1 },
    touches: none,
    touchMix: { email_open: 1 },
    touchTiming: { season: 1 },
    platform: { desktop_web: 0.5, mobile_web: 0.4, app: 0.1 },
    desktopMail: 0.5,
    birthYears: [1945, 2005],
    income: { low: 1, lower_middle: 1, middle: 1, upper_middle: 1, high: 1 },
    occupations: anyOccupation,
    optIn: { email: 0.2, sms: 0.05, push: 0.05 },
    interests: [],
    lifestyles: [],
    signup: 'before',
  },
  {
    name: 'regular',
    share: 0.3,
    orders: [2, 7],
    lines: [0.5, 0.33, 0.17],
    amountEur: { median: 38, sigma: 0.55 },
    channels: { web: 45, app: 20, store: 20, marketplace: 10, phone: 3, social: 2 },
    categories: everyday,
    occasionAffinity: 0.35,
    returnRate: 0.05,
    orderTiming: { season: 1 },
    // Regular means buying now too: without this, a regular whose few orders all fell early in the year was
    // indistinguishable from a lapsed customer, and no segmentation could separate the two.
    lastOrderWithinDays: 120,
    sessions: [1, 4],
    depth: [0.35, 0.3, 0.22, 0.13],
    sessionTiming: { season: 1 },
    touches: [1, 4],
    touchMix: webSessionTouches,
    touchTiming: { season: 1 },
    platform: { desktop_web: 0.45, mobile_web: 0.35, app: 0.2 },
    desktopMail: 0.45,
    birthYears: [1950, 2004],
    income: { low: 1, lower_middle: 2, middle: 3, upper_middle: 2, high: 1 },
    occupations: anyOccupation,
    optIn: { email: 0.6, sms: 0.2, push: 0.3 },
    interests: ['cooking', 'running', 'music'],
    lifestyles: ['suburban', 'family', 'eco_conscious'],
    signup: 'before',
  },
];

export const ARCHETYPES = ARCHETYPE_SPECS.map((a) => a.name);

/** Recent activity window (days before asOf) for `recent` timing, e.g. lapsed customers' newsletter opens. */
export const RECENT_DAYS = 90;
/** Everyone else's education mix. */
export const DEFAULT_EDUCATION = { primary: 3, secondary: 25, vocational: 20, bachelor: 30, master: 17, doctorate: 5 } as const;
/** New customers sign up within this many days of asOf. */
export const NEW_SIGNUP_DAYS = 30;
