import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';
import { TABLE_NAMES } from '../../shared/contracts/lake.ts';
import { customerFeaturesSql, customerPreferencesSql } from '../../shared/sql/features.ts';
import { STATE_GRAINS, stateRelation, stateSql } from '../../shared/sql/state.ts';
import { STAGE_SQL } from '../../shared/sql/staging.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';
import type { Row } from '../../shared/engines/query-engine.ts';
import { tempDir } from '../helpers/duckdb.ts';

const AS_OF = '2026-06-30';

const ORDERS = `order_id,customer_id,order_ts,amount,currency,category,channel,country
o1,a,2026-06-01T10:00:00Z,60,EUR,Shoes,web,DE
o1,a,2026-06-01T10:00:00Z,40,EUR,bags,web,DE
o2,a,2026-06-05T10:00:00Z,-30,EUR,shoes,web,DE
o3,a,2026-06-07T10:00:00Z,50,EUR,toys,app,DE
o3,a,2026-06-07T10:00:00Z,-50,EUR,toys,app,DE
o4,b,2026-06-10T10:00:00Z,20,EUR,toys,store,FR
o5,b,2026-06-11T10:00:00Z,20,EUR,books,app,FR
o6,b,2026-07-02T10:00:00Z,999,EUR,books,app,FR
`;

// a: mostly Android/Chrome; b: an unrecognised OS most often, a tie between two browsers; c: a tie of two OSes.
const EVENTS = `customer_id,event_ts,event_type,channel,device_type,os,browser
a,2026-06-01T09:00:00Z,page_view,web,mobile,Android,Chrome
a,2026-06-01T09:01:00Z,product_view,web,mobile, android ,chrome
a,2026-06-02T09:00:00Z,page_view,web,desktop,iOS,Samsung Internet
b,2026-06-01T09:00:00Z,page_view,web,desktop,BeOS,firefox
b,2026-06-01T09:01:00Z,page_view,web,desktop,beos,edge
b,2026-06-01T09:02:00Z,page_view,web,desktop,Windows,
c,2026-06-01T09:00:00Z,app_open,app,mobile,macos,safari
c,2026-06-01T09:01:00Z,app_open,app,mobile,ios,safari
`;

describe('customer features on DuckDB', () => {
  let engine: DuckDbQueryEngine;
  let byCustomer: Map<string, Row>;

  beforeAll(async () => {
    const lake = await tempDir('features-lake');
    for (const [table, text] of [['orders', ORDERS], ['events', EVENTS]] as const) {
      await mkdir(path.join(lake, table));
      await writeFile(path.join(lake, table, `${table}.csv`), text);
    }
    engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 2 });
    await engine.prepareInputs();
    const config = defaultSegmentsConfig();
    for (const table of TABLE_NAMES) {
      await engine.materialize(`stage ${table}`, `stg_${table}`, STAGE_SQL[table](engine.relations, { asOf: AS_OF, config }));
    }
    for (const grain of STATE_GRAINS) await engine.materialize(`state ${grain}`, stateRelation(grain), stateSql(engine.relations, grain, AS_OF, false));
    await engine.materialize('preferences', 'customer_preferences', customerPreferencesSql(engine.relations));
    const rows = await engine.query('features', customerFeaturesSql(engine.relations, AS_OF));
    byCustomer = new Map(rows.map((r) => [String(r.customer_id), r]));
  });

  afterAll(async () => {
    await engine?.close();
  });

  it('names the OS and browser family with the most events; unrecognised values count as other', () => {
    expect(byCustomer.get('a')).toMatchObject({ top_os: 'android', top_browser: 'chrome' });
    expect(byCustomer.get('b')).toMatchObject({ top_os: 'other', top_browser: 'edge' });
  });

  it('breaks ties between families alphabetically, so reruns agree', () => {
    expect(byCustomer.get('c')).toMatchObject({ top_os: 'ios', top_browser: 'safari' });
  });

  it('counts returns from orders with a negative total; an order that nets to zero is neither', () => {
    const a = byCustomer.get('a');
    expect(a).toMatchObject({ frequency: 1, orders_count: 3, monetary: 70, purchase_revenue: 100, returned_amount: 30 });
    expect(a?.return_rate).toBeCloseTo(0.3, 12);
    expect(byCustomer.get('b')).toMatchObject({ frequency: 2, returned_amount: 0, return_rate: 0 });
  });

  it('lists categories sorted and picks the top category by revenue, ignoring orders after the as-of date', () => {
    // a: shoes 60 − 30 = 30, bags 40, toys 0; b: toys 20 and books 20 tie (books' 999 is after the as-of date), and
    // so do its one store and one app order line: ties go to the alphabetically first value.
    expect(byCustomer.get('a')).toMatchObject({ categories: ['bags', 'shoes', 'toys'], top_category: 'bags', top_order_channel: 'web' });
    expect(byCustomer.get('b')).toMatchObject({ categories: ['books', 'toys'], top_category: 'books', top_order_channel: 'app', country: 'FR' });
  });
});
