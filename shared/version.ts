/**
 * The tool version written into every output's provenance. Kept as a literal rather than read from
 * package.json, which would bundle the whole manifest into the Lambda (and redeploy it on any script change);
 * a test keeps the two equal.
 */
export const TOOL_VERSION = '0.1.0';
