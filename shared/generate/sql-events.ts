import { DEVICE_TYPES, EVENT_CHANNELS, EVENT_TYPES } from '../contracts/lake.ts';
import { PLATFORMS, type Platform } from './archetypes.ts';
import { badReasonSql, badTimestampSql, isReason, missingIdSql } from './bad-rows.ts';
import { BROWSERS } from './catalogues.ts';
import { customerIdSql, type GenContext } from './context.ts';
import { messyEnum, sometimesBlank } from './messiness.ts';
import { archPick } from './per-archetype.ts';
import { codeOf, Draws, intBetween, pickIndex, strList, weightsFor, type Sql } from './random.ts';
import { OS_NAMES } from './sql-customer-base.ts';
import { TRACKED_CHANNELS } from './sql-orders.ts';
import { daySql, isoSql, slotSql, timeOfDaySql, timestampSql, timingSql } from './sql-time.ts';
import type { OutColumn, RenderSpec } from './writer.ts';

/**
 * `ev`: web, app and messaging events from three sources, so the funnel
 * page_view > product_view > add_to_cart > checkout_start > purchase holds by construction:
 * - src 0, browsing sessions: a funnel prefix of depth 1–4 that never ends in a purchase (abandonment);
 * - src 1, touches: single messaging/app/search events whose channel and device follow the event type;
 * - src 2, purchase sessions: the full five-step funnel ending at the time of a tracked web/app order.
 * (num, src, a, b) identifies an event; device, OS and browser come from the customer's device profile.
 */

type EventType = (typeof EVENT_TYPES)[number];
const et = (t: EventType) => codeOf(EVENT_TYPES, t);
const ch = (c: (typeof EVENT_CHANNELS)[number]) => codeOf(EVENT_CHANNELS, c);
const platformCode = (p: Platform) => PLATFORMS.indexOf(p);
const desktop = codeOf(DEVICE_TYPES, 'desktop');

const FUNNEL: readonly EventType[] = ['page_view', 'product_view', 'add_to_cart', 'checkout_start', 'purchase'];
/** Share of web/app orders whose session was tracked (consent, ad blockers): app SDKs see more than web tags. */
const TRACKED_SHARE = { web: 0.3, app: 0.45 } as const;
/** Probability a session happens on the customer's usual platform rather than another one. */
const USUAL_PLATFORM = 0.8;

interface Device {
  chan: Sql;
  dev: Sql;
  os: Sql;
  br: Sql;
}

/** Channel/device/OS/browser of a web or app interaction on platform `p` (SQL code). */
function onPlatform(p: Sql): Device {
  const desk = `${p} = ${platformCode('desktop_web')}`;
  return {
    chan: `(CASE WHEN ${p} = ${platformCode('app')} THEN ${ch('app')} ELSE ${ch('web')} END)`,
    dev: `(CASE WHEN ${desk} THEN ${desktop} ELSE m_dev END)`,
    os: `(CASE WHEN ${desk} THEN d_os ELSE m_os END)`,
    // Native app events carry no browser.
    br: `(CASE WHEN ${p} = ${platformCode('app')} THEN NULL WHEN ${desk} THEN d_br ELSE m_br END)`,
  };
}

/** Device of a touch: messaging events follow their medium, the rest the customer's usual platform. */
function touchDevice(): Device {
  const web = onPlatform('platform');
  const mail = (desk: Sql, mobile: Sql) => `(CASE WHEN desktop_mail THEN ${desk} ELSE ${mobile} END)`;
  const byType = (arms: Partial<Record<EventType, Sql>>, fallback: Sql) =>
    `(CASE etype ${Object.entries(arms).map(([t, v]) => `WHEN ${et(t as EventType)} THEN ${v}`).join(' ')} ELSE ${fallback} END)`;
  return {
    chan: byType(
      {
        email_open: String(ch('email')),
        email_click: String(ch('email')),
        push_open: String(ch('push')),
        app_open: String(ch('app')),
        sms_click: String(ch('sms')),
        social_click: String(ch('social')),
      },
      web.chan,
    ),
    dev: byType(
      {
        email_open: mail(String(desktop), 'm_dev'),
        email_click: mail(String(desktop), 'm_dev'),
        push_open: 'm_dev',
        app_open: 'm_dev',
        sms_click: 'm_dev',
        social_click: 'm_dev',
      },
      web.dev,
    ),
    os: byType(
      {
        email_open: mail('d_os', 'm_os'),
        email_click: mail('d_os', 'm_os'),
        push_open: 'm_os',
        app_open: 'm_os',
        sms_click: 'm_os',
        social_click: 'm_os',
      },
      web.os,
    ),
    // Opens happen in a mail client or the OS notification shade; clicks land in a browser.
    br: byType(
      { email_open: 'NULL', email_click: mail('d_br', 'm_br'), push_open: 'NULL', app_open: 'NULL', sms_click: 'm_br', social_click: 'm_br' },
      web.br,
    ),
  };
}

const deviceCols = (d: Device) => `${d.chan}::TINYINT AS chan, ${d.dev}::TINYINT AS dev, ${d.os}::TINYINT AS os, ${d.br}::TINYINT AS br`;

export function eventsSql(ctx: GenContext): Sql {
  const { rnd, cal } = ctx;
  const start = cal.period.startEpoch;
  const end = start + cal.period.days * 86400;
  const profile = 'num, arch, signup_day, platform, desktop_mail, d_os, d_br, m_os, m_br, m_dev';
  const funnelType = `[${FUNNEL.map(et).join(', ')}][step + 1]`;

  const ds = new Draws(rnd, ['num', 'k'], 'us_');
  const sessionPlatform = `(CASE WHEN ${ds.u('usual_platform')} < ${USUAL_PLATFORM} THEN platform
    ELSE ${archPick(ds.u('other_platform'), (a) => PLATFORMS.map((p) => a.platform[p]))} END)`;
  const sessionAttrs = `
    ${timingSql((a) => a.sessionTiming, ds.u('timing'))} AS timing,
    ${slotSql(ds.u('slot'))} AS slot,
    ${sessionPlatform} AS sp,
    1 + ${archPick(ds.u('depth'), (a) => a.depth)} AS depth,
    ${timeOfDaySql(ds.u('tod_a'), ds.u('tod_b'))} AS tod,
    ${intBetween(ds.u('gap'), 20, 150)} AS gap`;
  const sessionDay = daySql(ctx, 'timing', 's.day', ds.u('day'));
  const sessions = `
  SELECT num, 0::TINYINT AS src, k AS a, step::TINYINT AS b,
    -- A session starting late on the last day must not spill into asOf.
    least(${start}::BIGINT + day * 86400 + tod + step * gap, ${end - 1}) AS ts_s,
    ${funnelType}::TINYINT AS etype, ${deviceCols(onPlatform('sp'))}
  FROM (
    SELECT *, unnest(range(depth)) AS step FROM (
      SELECT t.*, ${sessionDay} AS day FROM (
        SELECT *, ${sessionAttrs} FROM (
          SELECT *${ds.withComma()} FROM (SELECT ${profile}, unnest(range(n_sessions))::INTEGER AS k FROM cust WHERE n_sessions > 0)
        )
      ) t LEFT JOIN slots s ON s.dist = t.timing AND s.slot = t.slot
    )
  )`;

  const dt = new Draws(rnd, ['num', 'k'], 'ut_');
  const touchAttrs = `
    ${timingSql((a) => a.touchTiming, dt.u('timing'))} AS timing,
    ${slotSql(dt.u('slot'))} AS slot,
    ${archPick(dt.u('type'), (a) => weightsFor(EVENT_TYPES, a.touchMix))} AS etype,
    ${timeOfDaySql(dt.u('tod_a'), dt.u('tod_b'))} AS tod`;
  const touchDay = daySql(ctx, 'timing', 's.day', dt.u('day'));
  const touches = `
  SELECT num, 1::TINYINT AS src, k AS a, 0::TINYINT AS b,
    ${start}::BIGINT + day * 86400 + tod AS ts_s, etype::TINYINT AS etype, ${deviceCols(touchDevice())}
  FROM (
    SELECT t.*, ${touchDay} AS day FROM (
      SELECT *, ${touchAttrs} FROM (
        SELECT *${dt.withComma()} FROM (SELECT ${profile}, unnest(range(n_touches))::INTEGER AS k FROM cust WHERE n_touches > 0)
      )
    ) t LEFT JOIN slots s ON s.dist = t.timing AND s.slot = t.slot
  )`;

  const uo = (salt: string) => rnd.u(salt, 'order_num');
  // Web orders come from whichever browser the customer uses; an app-first customer ordering on the web uses the phone.
  const purchasePlatform = `(CASE WHEN o.channel = ${TRACKED_CHANNELS.app} THEN ${platformCode('app')}
    WHEN c.platform = ${platformCode('app')} THEN ${platformCode('mobile_web')} ELSE c.platform END)`;
  const purchases = `
  SELECT num, 2::TINYINT AS src, k AS a, step::TINYINT AS b,
    greatest(${start}::BIGINT, ts_s - (${FUNNEL.length - 1} - step) * gap) AS ts_s,
    ${funnelType}::TINYINT AS etype, ${deviceCols(onPlatform('pp'))}
  FROM (
    SELECT *, unnest(range(${FUNNEL.length})) AS step FROM (
      SELECT o.k, o.ts_s, c.*, ${purchasePlatform} AS pp, ${intBetween(uo('p_gap'), 30, 180)} AS gap
      FROM (
        SELECT k, ts_s, num, order_num, channel, ${uo('tracked')} AS tracked FROM ord
        WHERE channel IN (${TRACKED_CHANNELS.web}, ${TRACKED_CHANNELS.app})
      ) o JOIN cust c USING (num)
      WHERE (o.channel = ${TRACKED_CHANNELS.web} AND o.tracked < ${TRACKED_SHARE.web})
         OR (o.channel = ${TRACKED_CHANNELS.app} AND o.tracked < ${TRACKED_SHARE.app})
    )
  )`;

  return `CREATE OR REPLACE TABLE ev AS
SELECT num, src, a, b, ts_s, CAST((ts_s - ${start}) // 86400 AS INTEGER) AS day, etype, chan, dev, os, br,
  ${badReasonSql(ctx, 'events', ['num', 'src', 'a', 'b'])} AS bad
FROM (${sessions} UNION ALL ${touches} UNION ALL ${purchases})`;
}

/** Column order follows the contract (EventRow). `ev` columns and the returned draws are in scope. */
export function eventColumns(ctx: GenContext): RenderSpec {
  const draws = new Draws(ctx.rnd, ['num', 'src', 'a', 'b'], 'ue_');
  const ue = (salt: string) => draws.u(salt);
  const columns: OutColumn[] = [
    {
      name: 'customer_id',
      sql: `CASE WHEN ${isReason('bad', 'missing_customer_id')} THEN ${missingIdSql(ue('bad_value'))} ELSE ${customerIdSql(ctx, 'num')} END`,
    },
    {
      name: 'event_ts',
      sql: `CASE WHEN ${isReason('bad', 'bad_timestamp')} THEN ${badTimestampSql(timestampSql('ts_s'), ue('bad_value'))} ELSE ${isoSql('ts_s')} END`,
    },
    {
      name: 'event_type',
      sql: `CASE WHEN ${isReason('bad', 'unknown_event_type')} THEN ['teleport', 'Teleport', 'levitate'][${pickIndex(ue('bad_value'), [3, 1, 1])} + 1]
        ELSE ${messyEnum(`${strList(EVENT_TYPES)}[etype + 1]`, ue('mess_type'))} END`,
    },
    { name: 'channel', sql: sometimesBlank(messyEnum(`${strList(EVENT_CHANNELS)}[chan + 1]`, ue('mess_channel')), ue('blank_channel')) },
    { name: 'device_type', sql: messyEnum(`${strList(DEVICE_TYPES)}[dev + 1]`, ue('mess_device')) },
    { name: 'os', sql: sometimesBlank(`${strList(OS_NAMES)}[os + 1]`, ue('blank_os')) },
    { name: 'browser', sql: `CASE WHEN br IS NULL THEN NULL ELSE ${sometimesBlank(`${strList(BROWSERS)}[br + 1]`, ue('blank_browser'))} END` },
  ];
  return { columns, draws: [draws] };
}
