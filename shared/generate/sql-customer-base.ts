import { DEVICE_TYPES } from '../contracts/lake.ts';
import { ARCHETYPE_SPECS, NEW_SIGNUP_DAYS, PLATFORMS } from './archetypes.ts';
import { BROWSERS, COUNTRIES, DESKTOP_OS, MOBILE_OS } from './catalogues.ts';
import type { GenContext } from './context.ts';
import { archIntBetween, archNumber, archPick, perArchetype } from './per-archetype.ts';
import { caseOf, codeOf, Draws, intBetween, pickIndex, type Sql } from './random.ts';

/**
 * `cust`: one compact row per customer with the hidden "truth" every other table derives from — archetype,
 * country, device profile, signup day and how many orders/sessions/touches to generate. Integer codes instead
 * of strings keep 1M customers at a few tens of MB.
 */

/** Operating systems as one list so a single code column covers desktop and mobile. */
export const OS_NAMES = [...DESKTOP_OS, ...MOBILE_OS] as const;
const osCode = (os: (typeof OS_NAMES)[number]) => codeOf(OS_NAMES, os);
const brCode = (br: (typeof BROWSERS)[number]) => codeOf(BROWSERS, br);

/** `weights[i]` picked by `u`, translated to the codes in `codes` (same length). */
function pickCode(u: Sql, weights: readonly number[], codes: readonly number[]): Sql {
  return caseOf(pickIndex(u, weights), codes.map(String));
}

/** Customer numbers as a table: a table scan parallelises, a range() source feeding the projection does not. */
export function customerIdsSql(ctx: GenContext): Sql {
  return `CREATE OR REPLACE TABLE cust_ids AS SELECT range::INTEGER AS num FROM range(1, ${ctx.customers + 1})`;
}

export function customerBaseSql(ctx: GenContext): Sql {
  const { cal } = ctx;
  const d = new Draws(ctx.rnd, ['num'], 'uc_');
  const u = (salt: string) => d.u(salt);
  const days = cal.period.days;
  const placeCounts = `[${COUNTRIES.map((c) => c.places.length).join(', ')}]`;

  // Browsers follow the OS the way they do in real traffic (Safari only on Apple, Edge mostly on Windows).
  const desktopBrowser = `(CASE d_os
    WHEN ${osCode('windows')} THEN ${pickCode(u('d_br'), [60, 12, 28], [brCode('chrome'), brCode('firefox'), brCode('edge')])}
    WHEN ${osCode('macos')} THEN ${pickCode(u('d_br'), [50, 40, 10], [brCode('safari'), brCode('chrome'), brCode('firefox')])}
    ELSE ${pickCode(u('d_br'), [55, 45], [brCode('firefox'), brCode('chrome')])} END)`;
  const mobileBrowser = `(CASE WHEN m_os = ${osCode('ios')} THEN ${pickCode(u('m_br'), [85, 15], [brCode('safari'), brCode('chrome')])}
    ELSE ${pickCode(u('m_br'), [82, 12, 6], [brCode('chrome'), brCode('samsung_internet'), brCode('firefox')])} END)`;

  const signupDay = perArchetype((a) =>
    a.signup === 'recent'
      ? `${days - 1} - ${intBetween(u('signup'), 0, NEW_SIGNUP_DAYS - 1)}`
      : // Established customers joined 1 day to ~4 years before the period.
        `-1 - ${intBetween(u('signup'), 0, 1500)}`,
  );
  const arch = pickIndex(u('arch'), ARCHETYPE_SPECS.map((a) => a.share));
  const attributes = `
    ${pickIndex(u('country'), COUNTRIES.map((c) => c.share))}::TINYINT AS country,
    ${archPick(u('platform'), (a) => PLATFORMS.map((p) => a.platform[p]))}::TINYINT AS platform,
    ${pickCode(u('d_os'), [60, 30, 10], [osCode('windows'), osCode('macos'), osCode('linux')])}::TINYINT AS d_os,
    ${pickCode(u('m_os'), [45, 55], [osCode('ios'), osCode('android')])}::TINYINT AS m_os,
    ${pickCode(u('m_dev'), [85, 15], [codeOf(DEVICE_TYPES, 'mobile'), codeOf(DEVICE_TYPES, 'tablet')])}::TINYINT AS m_dev,
    ${u('mail')} < ${archNumber((a) => a.desktopMail)} AS desktop_mail,
    (${signupDay})::INTEGER AS signup_day,
    ${archIntBetween(u('n_orders'), (a) => a.orders)} AS n_orders,
    ${archIntBetween(u('n_sessions'), (a) => a.sessions)} AS n_sessions,
    ${archIntBetween(u('n_touches'), (a) => a.touches)} AS n_touches`;
  const derived = `
    CAST(floor(${u('place')} * ${placeCounts}[country + 1]) AS TINYINT) AS place,
    ${desktopBrowser}::TINYINT AS d_br,
    ${mobileBrowser}::TINYINT AS m_br`;

  return `CREATE OR REPLACE TABLE cust AS
WITH r AS (SELECT num${d.withComma()} FROM cust_ids),
a AS (SELECT *, ${arch}::TINYINT AS arch FROM r),
b AS (SELECT *, ${attributes} FROM a),
c AS (SELECT *, ${derived} FROM b)
SELECT num, arch, country, place, platform, d_os, d_br, m_os, m_br, m_dev, desktop_mail, signup_day, n_orders, n_sessions, n_touches
FROM c`;
}
