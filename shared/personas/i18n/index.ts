import type { PersonaLanguage } from '../../contracts/outputs.ts';
import { de } from './de.ts';
import { en } from './en.ts';
import { ja } from './ja.ts';
import { ko } from './ko.ts';
import type { Messages } from './messages.ts';
import { nb } from './nb.ts';

/** One catalogue per persona language; the Record type makes a missing language a type error. */
export const MESSAGES: Readonly<Record<PersonaLanguage, Messages>> = { en, de, ko, ja, nb };
export type { Messages, TextKey, FeatureLabelKey, ValueDimension } from './messages.ts';
