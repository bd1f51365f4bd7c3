import type { Messages, TextKey, ValueDimension } from './i18n/index.ts';

/** Locale formatting with Intl and template filling. Pure. */
export class Formatter {
  private readonly percent: Intl.NumberFormat;
  private readonly integer: Intl.NumberFormat;
  private readonly decimals = new Map<number, Intl.NumberFormat>();
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
    return value;
  }
  fill(key: TextKey, params: Readonly<Record<string, string>>): string {
    return fillTemplate(this.messages.text[key], params);
  }
}

/** Replaces `{name}` placeholders; a placeholder without a value is a programming error. */
export function fillTemplate(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`template placeholder {${name}} has no value: ${template}`);
    return value;
  });
}

export const placeholders = (template: string): string[] => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
