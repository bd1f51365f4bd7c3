import type { Messages, TextKey, ValueDimension } from './i18n/index.ts';

/** A number for a template: shown as num(count, digits), and choosing a plural placeholder's form as shown. */
export interface Count {
  readonly count: number | null;
  readonly digits: number;
}

/** Locale formatting with Intl and template filling. Pure. */
export class Formatter {
  private readonly percent: Intl.NumberFormat;
  private readonly integer: Intl.NumberFormat;
  private readonly decimals = new Map<number, Intl.NumberFormat>();
  private readonly pluralRules = new Map<number, Intl.PluralRules>();
  private readonly currencyFormat: Intl.NumberFormat | null;
  private readonly dateFormat: Intl.DateTimeFormat;
  private readonly listFormat: Intl.ListFormat;
  private readonly regionNames: Intl.DisplayNames;

  constructor(readonly messages: Messages, currency?: string) {
    this.percent = new Intl.NumberFormat(messages.locale, { style: 'percent', maximumFractionDigits: 1 });
    this.integer = new Intl.NumberFormat(messages.locale, { maximumFractionDigits: 0 });
    this.currencyFormat = currency ? new Intl.NumberFormat(messages.locale, { style: 'currency', currency }) : null;
    this.dateFormat = new Intl.DateTimeFormat(messages.locale, { dateStyle: 'long', timeZone: 'UTC' });
    this.listFormat = new Intl.ListFormat(messages.locale, { style: 'long', type: 'conjunction' });
    this.regionNames = new Intl.DisplayNames(messages.locale, { type: 'region', fallback: 'none' });
  }

  pct(v: number | null): string {
    return v === null ? this.text('md_unknown') : this.percent.format(v);
  }
  int(v: number): string {
    return this.integer.format(v);
  }
  num(v: number | null, digits = 1): string {
    if (v === null) return this.text('md_unknown');
    let f = this.decimals.get(digits);
    if (!f) {
      f = new Intl.NumberFormat(this.messages.locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
      this.decimals.set(digits, f);
    }
    return f.format(v);
  }
  /** The plural category of `v` as num(v, digits) shows it: 1.04 shown as "1" is "one" in English. */
  plural(v: number | null, digits = 1): Intl.LDMLPluralRule {
    if (v === null) return 'other';
    let rules = this.pluralRules.get(digits);
    if (!rules) {
      rules = new Intl.PluralRules(this.messages.locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
      this.pluralRules.set(digits, rules);
    }
    return rules.select(v);
  }
  money(v: number | null): string {
    if (v === null) return this.text('md_unknown');
    return this.currencyFormat ? this.currencyFormat.format(v) : this.num(v, 2);
  }
  /** A lift or a ratio to the average: "1.8×". */
  times(v: number | null): string {
    return v === null ? this.text('md_unknown') : `${this.num(v, 2)}×`;
  }
  /** "age, gender and income" with the language's own separators. */
  list(items: readonly string[]): string {
    return this.listFormat.format(items);
  }
  date(isoDate: string): string {
    return this.dateFormat.format(new Date(`${isoDate}T00:00:00Z`));
  }
  text(key: TextKey): string {
    return this.messages.text[key];
  }
  /**
   * The value in the language for fixed vocabularies and for ISO 3166 country codes ("DE" → "Germany",
   * "Deutschland", "ドイツ"); free-text data values, a country written out among them, stay as they are.
   */
  label(dimension: string, value: string): string {
    const vocabulary = (this.messages.values as Record<string, Record<string, string> | undefined>)[dimension as ValueDimension];
    const known = vocabulary?.[value];
    if (known !== undefined) return known;
    if (dimension === 'country' && /^[A-Z]{2}$/.test(value)) return this.regionNames.of(value) ?? value;
    // A free-text value (occupation, interest, lifestyle tag) as a person reads it: retail_worker → retail worker.
    // The JSON keeps the value itself beside its label.
    return value.replaceAll('_', ' ');
  }
  fill(key: TextKey, params: Readonly<Record<string, string | Count>>): string {
    const texts: Record<string, string> = {};
    const plurals: Record<string, Intl.LDMLPluralRule> = {};
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'string') texts[name] = value;
      else {
        texts[name] = this.num(value.count, value.digits);
        plurals[name] = this.plural(value.count, value.digits);
      }
    }
    return fillTemplate(this.messages.text[key], texts, plurals);
  }
}

// `{name}`, or `{name, plural, one {# day} other {# days}}` (ICU MessageFormat's plural, without nesting).
const PLACEHOLDER = /\{(\w+)(?:, plural,((?:\s*\w+\s*\{[^{}]*\})+))?\}/g;

/**
 * Fills `{name}` placeholders, and chooses a plural placeholder's form by the category in `plurals` (`#` is the
 * value). A placeholder without a value, or a plural one without a category or an `other` form, is a programming
 * error.
 */
export function fillTemplate(template: string, params: Readonly<Record<string, string>>, plurals: Readonly<Record<string, Intl.LDMLPluralRule>> = {}): string {
  return template.replace(PLACEHOLDER, (_, name: string, cases: string | undefined) => {
    const value = params[name];
    if (value === undefined) throw new Error(`template placeholder {${name}} has no value: ${template}`);
    if (cases === undefined) return value;
    const forms = new Map([...cases.matchAll(/(\w+)\s*\{([^{}]*)\}/g)].map((m) => [m[1]!, m[2]!]));
    const category = plurals[name];
    if (category === undefined) throw new Error(`plural placeholder {${name}} has no plural category: ${template}`);
    const form = forms.get(category) ?? forms.get('other');
    if (form === undefined) throw new Error(`plural placeholder {${name}} has no "other" form: ${template}`);
    return form.replaceAll('#', value);
  });
}

export const placeholders = (template: string): string[] => [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).sort();
