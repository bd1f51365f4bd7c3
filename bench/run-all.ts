/**
 * `npm run bench`: every benchmark of the performance figures, each lake size in a process of its own so the peak
 * memory of one size is not the high-water mark of the one before. Then the Lambda bundle figures and
 * BENCHMARKS.md. Lakes are generated once into .data/bench-<size>/ and reused.
 *
 *   npm run bench -- [--sizes 100000,1000000,3000000] [--alternatives-up-to 1000000] [--repeat 3]
 *
 * The alternatives (one query per segment, a row-by-row script) run up to --alternatives-up-to customers: at 3 M
 * the row-by-row script alone takes longer than every refresh size together, and the ratio is known by then.
 * The same sizes time the full refresh --repeat times against as many measurements of the limit, and the
 * incremental run --repeat times on the same state, and report the medians (runs of the same code vary by about
 * ±10 % on this VM); 3 M runs once.
 * At 3 M customers DuckDB gets a 2.5 GB buffer (`segments refresh --memory-limit 2.5GB`): with the default 1.4 GB
 * the staging aggregate of 30 M order lines and the features query run out of memory (DuckDB cannot spill every
 * operator).
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { writeBenchmarksMd } from './report.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000,3000000' },
    'alternatives-up-to': { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '3' },
  },
});
const sizes = (values.sizes ?? '').split(',').map(Number).filter((v) => Number.isInteger(v) && v > 0);
const alternativesUpTo = Number(values['alternatives-up-to']);

const run = (args: string[]) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', ...args], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}`);
};

for (const size of sizes) {
  const small = size <= alternativesUpTo;
  run(['bench/refresh-bench.ts', '--customers', String(size), ...(small ? ['--repeat', values.repeat ?? '3'] : ['--skip-alternatives']), ...(size >= 3_000_000 ? ['--memory-limit', '2560MB'] : [])]);
}
run(['scripts/bundle-sizes.ts']);
await writeBenchmarksMd();
process.stdout.write('BENCHMARKS.md written\n');
