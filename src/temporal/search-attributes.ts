/** Typed search attributes that make runs findable in the Web UI. Keep in sync with scripts/temporal-dev-server. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MODEL = defineSearchAttributeKey('Model', SearchAttributeType.KEYWORD);
export const MODEL_VERSION = defineSearchAttributeKey('ModelVersion', SearchAttributeType.INT);
export const OUTCOME = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);
export const TRIGGER = defineSearchAttributeKey('TriggeredBy', SearchAttributeType.KEYWORD);
export const DATA_VERSION = defineSearchAttributeKey('DataVersion', SearchAttributeType.KEYWORD);
