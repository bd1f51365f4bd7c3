/**
 * Small fixed vocabularies. Values that the contract constrains (channels, genders, event types…) are NOT here:
 * they come from shared/contracts/lake.ts so the generator cannot drift from the contract.
 */

export interface Country {
  readonly code: string;
  readonly share: number;
  readonly currency: string;
  /** Units of `currency` per EUR; amounts are generated in EUR and written in local currency. */
  readonly perEur: number;
  /** Currencies without minor units in everyday prices are rounded to whole units. */
  readonly decimals: 0 | 2;
  readonly places: readonly (readonly [region: string, city: string])[];
}

export const COUNTRIES: readonly Country[] = [
  {
    code: 'DE',
    share: 0.24,
    currency: 'EUR',
    perEur: 1,
    decimals: 2,
    places: [
      ['Bavaria', 'Munich'],
      ['Berlin', 'Berlin'],
      ['Hamburg', 'Hamburg'],
      ['North Rhine-Westphalia', 'Cologne'],
      ['Hesse', 'Frankfurt am Main'],
      ['Baden-Württemberg', 'Stuttgart'],
    ],
  },
  {
    code: 'GB',
    share: 0.15,
    currency: 'GBP',
    perEur: 0.85,
    decimals: 2,
    places: [
      ['England', 'London'],
      ['England', 'Manchester'],
      ['England', 'Bristol'],
      ['Scotland', 'Edinburgh'],
      ['Wales', 'Cardiff'],
    ],
  },
  {
    code: 'FR',
    share: 0.14,
    currency: 'EUR',
    perEur: 1,
    decimals: 2,
    places: [
      ['Île-de-France', 'Paris'],
      ['Auvergne-Rhône-Alpes', 'Lyon'],
      ["Provence-Alpes-Côte d'Azur", 'Marseille'],
      ['Occitanie', 'Toulouse'],
      ['Nouvelle-Aquitaine', 'Bordeaux'],
    ],
  },
  {
    code: 'NO',
    share: 0.05,
    currency: 'NOK',
    perEur: 11.5,
    decimals: 2,
    places: [
      ['Oslo', 'Oslo'],
      ['Vestland', 'Bergen'],
      ['Trøndelag', 'Trondheim'],
      ['Rogaland', 'Stavanger'],
    ],
  },
  {
    code: 'KR',
    share: 0.08,
    currency: 'KRW',
    perEur: 1450,
    decimals: 0,
    places: [
      ['Seoul', 'Seoul'],
      ['Busan', 'Busan'],
      ['Gyeonggi', 'Suwon'],
      ['Incheon', 'Incheon'],
    ],
  },
  {
    code: 'JP',
    share: 0.1,
    currency: 'JPY',
    perEur: 160,
    decimals: 0,
    places: [
      ['Tokyo', 'Tokyo'],
      ['Osaka', 'Osaka'],
      ['Kanagawa', 'Yokohama'],
      ['Aichi', 'Nagoya'],
      ['Hokkaido', 'Sapporo'],
    ],
  },
  {
    code: 'US',
    share: 0.24,
    currency: 'USD',
    perEur: 1.08,
    decimals: 2,
    places: [
      ['California', 'Los Angeles'],
      ['New York', 'New York'],
      ['Texas', 'Austin'],
      ['Illinois', 'Chicago'],
      ['Washington', 'Seattle'],
      ['Florida', 'Miami'],
    ],
  },
];

export const INTERESTS = [
  'running',
  'cooking',
  'gaming',
  'travel',
  'fashion',
  'tech',
  'gardening',
  'reading',
  'music',
  'fitness',
  'photography',
  'crafts',
  'movies',
  'pets',
  'outdoor',
] as const;

export const LIFESTYLES = [
  'urban',
  'suburban',
  'rural',
  'eco_conscious',
  'family',
  'luxury',
  'budget',
  'digital_native',
  'health_focused',
  'frequent_traveler',
] as const;

export const OCCUPATIONS = [
  'engineer',
  'teacher',
  'nurse',
  'student',
  'retail_worker',
  'manager',
  'executive',
  'consultant',
  'designer',
  'craftsperson',
  'civil_servant',
  'retired',
  'self_employed',
  'physician',
] as const;

/** Everyday categories; occasions add their own below. */
export const BASE_CATEGORIES = [
  'fashion',
  'electronics',
  'home',
  'beauty',
  'sports',
  'books',
  'grocery',
  'garden',
] as const;

export const OCCASIONS = {
  halloween: { categories: ['costumes', 'decorations', 'candy'] },
  christmas: { categories: ['toys', 'gifts', 'decorations'] },
} as const;
export type Occasion = keyof typeof OCCASIONS;

/** Every category string, base first; orders store an index into this list. */
export const CATEGORIES: readonly string[] = [
  ...BASE_CATEGORIES,
  ...new Set(Object.values(OCCASIONS).flatMap((o) => o.categories)),
];

export const DESKTOP_OS = ['windows', 'macos', 'linux'] as const;
export const MOBILE_OS = ['ios', 'android'] as const;
export const BROWSERS = ['chrome', 'firefox', 'edge', 'safari', 'samsung_internet'] as const;
