/**
 * Logical names of the relations the refresh reads and builds. Statements refer to them only through a
 * `Relations` map supplied by the query engine: on DuckDB they are session tables and views, on Athena the
 * run-scoped tables of the Glue database. Identifiers therefore always come from code, never from input.
 */
export const INPUT_RELATIONS = ['raw_orders', 'raw_customers', 'raw_events'] as const;
export const BUILT_RELATIONS = [
  'stg_orders',
  'stg_customers',
  'stg_events',
  'state_orders',
  'state_categories',
  'state_places',
  'state_events',
  'state_profiles',
  'customer_preferences',
  'customer_features',
  'customer_segments',
] as const;
/**
 * The previous complete run's published customer_segments (customer_id, rfm_segment, lifecycle_stage), attached by
 * QueryEngine.attachPreviousRun; empty on a first run. `previous_state_<grain>`: the feature state the previous run
 * kept (QueryEngine.attachPreviousState, shared/sql/state.ts), read only by an incremental run.
 */
export const PREVIOUS_RELATIONS = [
  'previous_segments',
  'previous_state_orders',
  'previous_state_categories',
  'previous_state_places',
  'previous_state_events',
  'previous_state_profiles',
] as const;
export type InputRelation = (typeof INPUT_RELATIONS)[number];
export type PreviousRelation = (typeof PREVIOUS_RELATIONS)[number];
export type BuiltRelation = (typeof BUILT_RELATIONS)[number];
export type RelationName = InputRelation | PreviousRelation | BuiltRelation;
export type Relations = Readonly<Record<RelationName, string>>;

/** Plain names, as DuckDB uses them (and as tests print them). */
export const PLAIN_RELATIONS: Relations = Object.fromEntries(
  [...INPUT_RELATIONS, ...PREVIOUS_RELATIONS, ...BUILT_RELATIONS].map((name) => [name, name]),
) as Relations;
