/** Raised for options the generator cannot honour; the message names the option and what it accepts. */
export class GenerateOptionsError extends Error {
  override name = 'GenerateOptionsError';
}

/** Raised instead of silently mixing a new lake into an existing folder. */
export class LakeExistsError extends Error {
  override name = 'LakeExistsError';
  constructor(readonly out: string) {
    super(`Output folder ${out} exists and is not empty; pass overwrite: true to replace the lake in it.`);
  }
}

/** Wraps a DuckDB failure with the generation stage it happened in, so a failing 1M-customer run is diagnosable. */
export class GenerateStageError extends Error {
  override name = 'GenerateStageError';
  constructor(
    readonly stage: string,
    cause: unknown,
  ) {
    super(`Lake generation failed while ${stage}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
