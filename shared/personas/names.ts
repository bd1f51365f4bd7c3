import type { Messages } from './i18n/index.ts';
import type { Archetype } from './rules.ts';

/**
 * Alliterative persona names: "<epithet of the archetype> <first name with the same initial>", e.g. "Loyal Lena",
 * "Treue Tanja". The first name is picked by a hash of the segment id (deterministic, no randomness); if another
 * persona of the run already has it, the next name of the list is taken, and a numeral is added when all are taken.
 * Languages without their own naming (Korean, Japanese) keep the English name.
 */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of text) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function personaNames(items: readonly { segmentId: string; archetype: Archetype }[], messages: Messages, fallback: Messages): string[] {
  const naming = messages.naming ?? fallback.naming;
  if (!naming) throw new Error('the fallback language needs a naming section');
  const taken = new Set<string>();
  return items.map(({ segmentId, archetype }) => {
    const epithet = naming.epithet[archetype];
    const initial = epithet.charAt(0).toLocaleUpperCase(messages.locale);
    const pool = naming.names[initial] ?? naming.names[Object.keys(naming.names).sort()[0]!]!;
    const start = fnv1a(segmentId) % pool.length;
    for (let i = 0; i < pool.length; i++) {
      const name = `${epithet} ${pool[(start + i) % pool.length]}`;
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
    for (let n = 2; ; n++) {
      const name = `${epithet} ${pool[start]} ${n}`;
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
  });
}
