import { parseSegmentsConfig, type SegmentsConfig } from '../contracts/config.ts';
import document from './default-segments.config.json' with { type: 'json' };

/** The configuration `npm start` and the Lambdas use when none is given; also a worked example for users. */
export function defaultSegmentsConfig(): SegmentsConfig {
  return parseSegmentsConfig(document, 'shared/segments/default-segments.config.json');
}
