/**
 * Field mappings from the UCI Online Retail export to the lake contract (shared/contracts/lake.ts).
 * Each function is pure so the README table and the tests can pin them down one by one.
 */

/**
 * '12923.0' → '12923'. The export went through a spreadsheet that stored ids as floats; the pipeline keys
 * customers by text, so '12923.0' and '12923' would otherwise be two customers. Anything that is not an
 * integer-valued float is kept as written (trimmed) rather than guessed at.
 */
export function normalizeCustomerId(raw: string): string {
  const text = raw.trim();
  const m = /^(\d+)(?:\.0*)?$/.exec(text);
  return m ? m[1]! : text;
}

const LOCAL_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * '2011-10-06 16:20:00' → '2011-10-06T16:20:00Z', or null when the text is not a real calendar date-time.
 * The export has no zone; the retailer is in the UK, so its local time is at most one hour off UTC (BST), and
 * we read it as UTC. That can move a purchase made between 00:00 and 01:00 BST to the previous day.
 */
export function toIsoUtc(raw: string): string | null {
  const m = LOCAL_TIMESTAMP.exec(raw.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00'] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  // Date.UTC rolls 2011-02-30 over to March; a round trip catches impossible dates and times.
  if (
    date.getUTCFullYear() !== Number(y) ||
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCDate() !== Number(d) ||
    date.getUTCHours() !== Number(h) ||
    date.getUTCMinutes() !== Number(mi) ||
    date.getUTCSeconds() !== Number(s)
  ) {
    return null;
  }
  return `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
}

/**
 * Stock codes that are not merchandise: postage, carriage, manual adjustments, discounts, fees, samples.
 * They still carry money (a customer did pay the postage), so their lines stay in the orders; they only get
 * their own category so that persona summaries do not read "POSTAGE" as a product interest.
 */
export const NON_PRODUCT_STOCK_CODES: ReadonlySet<string> = new Set([
  'POST',
  'DOT',
  'C2',
  'M',
  'D',
  'S',
  'B',
  'AMAZONFEE',
  'BANK CHARGES',
  'CRUK',
  'PADS',
]);

/**
 * Keyword → category, first match wins, matched on whole words of the upper-cased description. The order
 * matters: "CHRISTMAS LIGHTS" is a Christmas item before it is lighting, "LUNCH BAG" a bag before kitchenware.
 */
export const CATEGORY_RULES: readonly { readonly category: string; readonly words: readonly string[] }[] = [
  { category: 'christmas', words: ['CHRISTMAS', 'XMAS', 'ADVENT', 'SANTA'] },
  { category: 'bags', words: ['BAG', 'BAGS', 'HANDBAG', 'SHOPPER', 'TOTE'] },
  { category: 'lighting', words: ['CANDLE', 'CANDLES', 'LIGHT', 'LIGHTS', 'LANTERN', 'LANTERNS', 'LAMP', 'NIGHTLIGHT'] },
  {
    category: 'kitchen',
    words: [
      'MUG', 'MUGS', 'CUP', 'CUPS', 'SAUCER', 'SAUCERS', 'PLATE', 'PLATES', 'BOWL', 'BOWLS', 'TEAPOT', 'JAR', 'JARS',
      'CUTLERY', 'SPOON', 'SPOONS', 'NAPKINS', 'BAKING', 'CAKE', 'CAKESTAND', 'KITCHEN', 'APRON', 'TEA', 'COFFEE', 'LUNCH',
    ],
  },
  {
    category: 'stationery',
    words: [
      'CARD', 'CARDS', 'WRAP', 'PAPER', 'NOTEBOOK', 'NOTEBOOKS', 'PEN', 'PENS', 'PENCIL', 'PENCILS', 'STICKER', 'STICKERS',
      'ENVELOPE', 'ENVELOPES',
    ],
  },
];

export const NON_PRODUCT_CATEGORY = 'non_product';
export const FALLBACK_CATEGORY = 'other';

const RULE_BY_WORD = new Map<string, string>();
CATEGORY_RULES.forEach((rule) => {
  for (const w of rule.words) if (!RULE_BY_WORD.has(w)) RULE_BY_WORD.set(w, rule.category);
});
const RULE_RANK = new Map(CATEGORY_RULES.map((r, k) => [r.category, k]));

export function categorize(stockCode: string, description: string): string {
  if (NON_PRODUCT_STOCK_CODES.has(stockCode.trim().toUpperCase())) return NON_PRODUCT_CATEGORY;
  let best: string | undefined;
  for (const word of description.toUpperCase().match(/[A-Z]+/g) ?? []) {
    const category = RULE_BY_WORD.get(word);
    if (category !== undefined && (best === undefined || RULE_RANK.get(category)! < RULE_RANK.get(best)!)) best = category;
  }
  return best ?? FALLBACK_CATEGORY;
}
