import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How every handler under functions/ is bundled: the one source for the CDK stack (NodejsFunction) and for
 * scripts/bundle-sizes.ts (esbuild's API), so the sizes the script reports are the sizes that get deployed.
 */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const ESBUILD_TARGET = 'node22';

/**
 * Never bundled: DuckDB is the local engine, a native addon with no place in a Lambda. Marking it external means a
 * stray import on the handler path shows up as an import of a missing package (and fails the bundle test) rather
 * than as 60 MB of binaries.
 */
export const NEVER_BUNDLED = ['@duckdb/node-api'] as const;

/**
 * ESM output, so the SDK's ES module builds tree-shake; CommonJS dependencies inside it still call `require` for
 * Node built-ins, which an ES module does not have, hence the banner. The odd local name keeps it from clashing
 * with an identifier in the bundle.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __segmentsCreateRequire } from 'node:module'; const require = __segmentsCreateRequire(import.meta.url);";

const SHARED = {
  minify: true,
  // Minifying renames classes, and the error tree names its errors after their class (`new.target.name`); the
  // names in logs and in the on-failure record are worth the few KiB this costs.
  keepNames: true,
  // Prefer each package's ES module build (tree-shakable) and fall back to CommonJS.
  mainFields: ['module', 'main'],
} as const;

/** Bundling options for NodejsFunction. The AWS SDK is bundled too: the version tested is the version deployed. */
export const HANDLER_BUNDLING: nodejs.BundlingOptions = {
  ...SHARED,
  mainFields: [...SHARED.mainFields],
  format: nodejs.OutputFormat.ESM,
  target: ESBUILD_TARGET,
  banner: ESM_REQUIRE_BANNER,
  externalModules: [...NEVER_BUNDLED],
  bundleAwsSDK: true,
  sourceMap: false,
  // Local esbuild only: synth must work offline and without Docker.
  forceDockerBundling: false,
};

/** The same build through esbuild's API, for measuring a handler's bundle. */
export function handlerEsbuildOptions(entry: string, outfile: string): BuildOptions & { metafile: true } {
  return {
    ...SHARED,
    mainFields: [...SHARED.mainFields],
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    banner: { js: ESM_REQUIRE_BANNER },
    external: [...NEVER_BUNDLED],
    metafile: true,
    logLevel: 'warning',
  };
}
