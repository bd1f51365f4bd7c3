/**
 * A cold import of a bundled handler, as Lambda's init phase does it: each run is a fresh `node` process that
 * imports the bundle once. The process gets no AWS credentials or settings (its environment is PATH and an empty
 * HOME), its sockets and DNS refuse to connect, and it reports what the import touched, so the same probe serves
 * the import-time figures of scripts/bundle-sizes.ts and the bundle test's "imports cleanly" check.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../bench/measure.ts';

/** What one fresh process saw while importing the bundle. */
export interface ImportProbe {
  /** From just before `import()` to just after it: parse, link and top-level code of the bundle. */
  readonly ms: number;
  /** CPU time (user + system, all threads) over the same span: less swayed than `ms` by other load on the machine. */
  readonly cpuMs: number;
  /** Peak resident memory of the whole process (Node itself included), MiB. */
  readonly peakRssMiB: number;
  /** `typeof` the module's `handler` export. */
  readonly handlerExport: string;
  /**
   * The `AWS_*` variables read during the import. An SDK client reads AWS_PROFILE, AWS_CONFIG_FILE, … as it is
   * constructed; the SDK's module code itself only reads the Lambda runtime's AWS_LAMBDA_* flags.
   */
  readonly awsEnvRead: readonly string[];
  /** Connections and DNS look-ups attempted (and refused) during the import. */
  readonly networkAttempts: readonly string[];
}

// Runs as `node --input-type=module -e PROBE <bundle url>`; prints one JSON line.
const PROBE = `
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
const awsEnvRead = new Set();
const networkAttempts = [];
const env = process.env;
process.env = new Proxy(env, {
  get: (target, key) => (typeof key === 'string' && key.startsWith('AWS_') && awsEnvRead.add(key), Reflect.get(target, key)),
});
net.Socket.prototype.connect = function (...args) {
  const options = Array.isArray(args[0]) ? args[0][0] : args[0];
  networkAttempts.push('connect ' + (options?.host === undefined ? options?.path : \`\${options.host}:\${options.port}\`));
  throw new Error('network is disabled while importing the handler');
};
const refuse = (what) => (host) => { networkAttempts.push(what + ' ' + host); throw new Error('DNS is disabled while importing the handler'); };
dns.lookup = refuse('dns.lookup');
dns.promises.lookup = refuse('dns.promises.lookup');
syncBuiltinESMExports();
const cpuStart = process.cpuUsage();
const started = performance.now();
const module = await import(process.argv[1]);
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
process.env = env;
console.log(JSON.stringify({
  ms,
  cpuMs: (cpu.user + cpu.system) / 1000,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  handlerExport: typeof module.handler,
  awsEnvRead: [...awsEnvRead].sort(),
  networkAttempts,
}));
`;

/** Imports `bundleFile` once in a fresh Node process; throws with the child's stderr if the import fails. */
export function probeImport(bundleFile: string): ImportProbe {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE, pathToFileURL(bundleFile).href], {
    // Nothing inherited: no credentials, region, profile or NODE_OPTIONS (a test runner's loader would distort it).
    env: { PATH: process.env.PATH ?? '', HOME: path.dirname(bundleFile) },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const last = child.stdout?.trim().split('\n').at(-1);
  if (child.status !== 0 || !last) {
    throw new Error(`importing ${bundleFile} failed (exit ${child.status ?? child.signal}): ${child.stderr || child.error?.message}`);
  }
  return JSON.parse(last) as ImportProbe;
}

export interface ImportTiming {
  readonly runs: number;
  readonly ms: readonly number[];
  readonly medianMs: number;
  readonly maxMs: number;
  readonly medianCpuMs: number;
  readonly peakRssMiB: number;
}

/** `runs` cold imports, one fresh process each, one after the other. */
export function timeImport(bundleFile: string, runs = 5): ImportTiming {
  const probes = Array.from({ length: runs }, () => probeImport(bundleFile));
  const ms = probes.map((p) => p.ms);
  return { runs, ms, medianMs: median(ms), maxMs: Math.max(...ms), medianCpuMs: median(probes.map((p) => p.cpuMs)), peakRssMiB: median(probes.map((p) => p.peakRssMiB)) };
}
