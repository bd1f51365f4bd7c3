import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeRfmOracle, loadRetailCsv, OracleError, quintileScores, type RetailLine } from '../fixtures/rfm-oracle.ts';

const AS_OF = '2011-12-10';

/** A purchase line of £10 on 2011-12-01 unless told otherwise. */
function line(over: Partial<RetailLine>): RetailLine {
  return {
    invoiceNo: '500000',
    stockCode: '85123A',
    description: 'WHITE HANGING HEART T-LIGHT HOLDER',
    quantity: '2',
    invoiceDate: '2011-12-01 10:00:00',
    unitPrice: '5.00',
    customerId: '12345.0',
    country: 'United Kingdom',
    ...over,
  };
}

/** One single-line purchase order per entry of `invoicesPerCustomer`, all on the same day. */
function customersWithFrequencies(frequencies: number[]): RetailLine[] {
  return frequencies.flatMap((f, c) =>
    Array.from({ length: f }, (_, k) => line({ customerId: `${100 + c}.0`, invoiceNo: `${c}-${k}` })),
  );
}

describe('computeRfmOracle: R, F, M values', () => {
  it('subtracts returns from monetary and does not count the return as an order', () => {
    const out = computeRfmOracle(
      [
        line({ invoiceNo: '500001', quantity: '2', unitPrice: '5.00' }),
        line({ invoiceNo: 'C500002', quantity: '-1', unitPrice: '5.00', invoiceDate: '2011-12-05 09:00:00' }),
      ],
      AS_OF,
    );
    const c = out.get('12345')!;
    expect(c.monetary).toBe(5);
    expect(c.frequency).toBe(1);
    // The later cancellation does not make the customer more recent.
    expect(c.recency_days).toBe(9);
  });

  it('does not count an invoice netting to zero or less as a purchase', () => {
    const out = computeRfmOracle(
      [
        line({ customerId: '1.0', invoiceNo: 'A', quantity: '3', unitPrice: '1.00' }),
        line({ customerId: '1.0', invoiceNo: 'A', quantity: '-3', unitPrice: '1.00' }),
        line({ customerId: '1.0', invoiceNo: 'B', quantity: '1', unitPrice: '0.0', description: 'Manual' }),
        line({ customerId: '1.0', invoiceNo: 'C', quantity: '1', unitPrice: '2.00' }),
        line({ customerId: '1.0', invoiceNo: 'C', quantity: '-1', unitPrice: '3.00' }),
      ],
      AS_OF,
    );
    expect(out.get('1')).toEqual({
      recency_days: null,
      frequency: 0,
      monetary: -1,
      r_score: null,
      f_score: null,
      m_score: null,
    });
  });

  it('counts recency in calendar days, not hours', () => {
    const out = computeRfmOracle(
      [
        line({ customerId: '1', invoiceDate: '2011-12-09 23:59:00' }),
        line({ customerId: '2', invoiceDate: '2011-12-09 00:01:00' }),
        line({ customerId: '3', invoiceDate: '2011-12-10 00:00:00' }),
        line({ customerId: '4', invoiceDate: '2010-12-10 12:00:00' }),
      ],
      AS_OF,
    );
    expect(out.get('1')!.recency_days).toBe(1);
    expect(out.get('2')!.recency_days).toBe(1);
    expect(out.get('3')!.recency_days).toBe(0);
    expect(out.get('4')!.recency_days).toBe(365);
  });

  it('sums amounts exactly (no 0.30000000000000004)', () => {
    const out = computeRfmOracle(
      [1, 2, 3].map((k) => line({ invoiceNo: `${k}`, quantity: '1', unitPrice: '0.1' })),
      AS_OF,
    );
    expect(out.get('12345')!.monetary).toBe(0.3);
  });

  it('merges float-written ids with integer ids and groups lines of one invoice', () => {
    const out = computeRfmOracle(
      [
        line({ customerId: '12923.0', invoiceNo: '1', invoiceDate: '2011-12-08 23:59:00' }),
        // Same invoice, a line written a minute later on the next day: the invoice is dated by its latest line.
        line({ customerId: '12923', invoiceNo: '1', invoiceDate: '2011-12-09 00:00:00' }),
      ],
      AS_OF,
    );
    expect([...out.keys()]).toEqual(['12923']);
    expect(out.get('12923')).toMatchObject({ frequency: 1, monetary: 20, recency_days: 1 });
  });

  it('ignores rows the pipeline quarantines', () => {
    const out = computeRfmOracle(
      [
        line({ customerId: '' }),
        line({ customerId: '   ' }),
        line({ invoiceNo: '' }),
        line({ invoiceDate: '2011-02-30 10:00:00' }),
        line({ invoiceDate: '12/1/2010 8:26' }),
        line({ quantity: 'two' }),
        line({ unitPrice: '' }),
        line({ customerId: '7.0', invoiceNo: 'ok' }),
      ],
      AS_OF,
    );
    expect([...out.keys()]).toEqual(['7']);
  });

  it('rejects an as-of that is not a calendar date', () => {
    expect(() => computeRfmOracle([], '2011-12-32')).toThrow(OracleError);
    expect(() => computeRfmOracle([], '2011-12-10T00:00:00Z')).toThrow(/YYYY-MM-DD/);
  });
});

describe('computeRfmOracle: quintile scores', () => {
  it('gives equal frequencies equal scores', () => {
    // n = 5, frequencies 1,1,1,2,3 → ranks 1,1,1,4,5 → 1 + floor(5·(rank−1)/5) = 1,1,1,4,5
    const out = computeRfmOracle(customersWithFrequencies([1, 1, 1, 2, 3]), AS_OF);
    expect(['100', '101', '102', '103', '104'].map((id) => out.get(id)!.f_score)).toEqual([1, 1, 1, 4, 5]);
  });

  it('scores ten distinct monetary values two per quintile', () => {
    const rows = Array.from({ length: 10 }, (_, k) => line({ customerId: `${k}`, quantity: '1', unitPrice: `${k + 1}.00` }));
    const out = computeRfmOracle(rows, AS_OF);
    expect(Array.from({ length: 10 }, (_, k) => out.get(`${k}`)!.m_score)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('scores recency higher for fewer days, ties included', () => {
    // recency 1,1,10,30 → rank = 1 + #strictly larger = 3,3,2,1; n = 4 → 1 + floor(5·(rank−1)/4) = 3,3,2,1
    const out = computeRfmOracle(
      [
        line({ customerId: 'a', invoiceDate: '2011-12-09 08:00:00' }),
        line({ customerId: 'b', invoiceDate: '2011-12-09 18:00:00' }),
        line({ customerId: 'c', invoiceDate: '2011-11-30 12:00:00' }),
        line({ customerId: 'd', invoiceDate: '2011-11-10 12:00:00' }),
      ],
      AS_OF,
    );
    expect(['a', 'b', 'c', 'd'].map((id) => [out.get(id)!.recency_days, out.get(id)!.r_score])).toEqual([
      [1, 3],
      [1, 3],
      [10, 2],
      [30, 1],
    ]);
  });

  it('leaves customers without a purchase out of the ranking', () => {
    // Only a and b purchased: n = 2, so b (rank 1) → 1 and a (rank 2) → 1 + floor(5/2) = 3.
    const out = computeRfmOracle(
      [
        line({ customerId: 'a', invoiceNo: 'a1' }),
        line({ customerId: 'a', invoiceNo: 'a2' }),
        line({ customerId: 'b', invoiceNo: 'b1' }),
        line({ customerId: 'c', invoiceNo: 'Cc1', quantity: '-5' }),
      ],
      AS_OF,
    );
    expect(out.get('a')!.f_score).toBe(3);
    expect(out.get('b')!.f_score).toBe(1);
    expect(out.get('c')).toMatchObject({ frequency: 0, monetary: -25, r_score: null, f_score: null, m_score: null });
  });

  it('quintileScores is order independent and ties exactly on bigint keys', () => {
    // sorted 1,2,3,5,5,5 (n = 6): the three 5s share rank 4 → 1 + floor(15/6) = 3
    expect(quintileScores([5n, 1n, 5n, 3n, 2n, 5n])).toEqual([3, 1, 3, 2, 1, 3]);
    expect(quintileScores([])).toEqual([]);
    expect(quintileScores([-7n])).toEqual([1]);
  });
});

describe('loadRetailCsv', () => {
  it('reads quoted commas and doubled quotes into the right fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rfm-oracle-'));
    try {
      const file = join(dir, 'retail.csv');
      writeFileSync(
        file,
        'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\n' +
          '1,A,"BAG, ""BIG"" RED",3,2011-12-01 10:00:00,1.5,42.0,France\r\n',
      );
      const rows = loadRetailCsv(file);
      expect(rows).toEqual([
        {
          invoiceNo: '1',
          stockCode: 'A',
          description: 'BAG, "BIG" RED',
          quantity: '3',
          invoiceDate: '2011-12-01 10:00:00',
          unitPrice: '1.5',
          customerId: '42.0',
          country: 'France',
          line: 2,
        },
      ]);
      expect(computeRfmOracle(rows, AS_OF).get('42')!.monetary).toBe(4.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
