// The validator's issues and their stable message ids: tests and clients match on the id (sent as
// the `operationoutcome-message-id` extension), never on the human text, which may improve.
import type { Issue, IssueCode, IssueSeverity } from '../errors';

export const MESSAGE = {
  UNKNOWN_ELEMENT: ['error', 'structure'],
  ARRAY_EXPECTED: ['error', 'structure'],
  ARRAY_NOT_ALLOWED: ['error', 'structure'],
  JSON_NULL: ['error', 'structure'],
  JSON_EMPTY: ['error', 'structure'],
  JSON_BAD_KEY: ['error', 'structure'],
  PRIMITIVE_EXTENSION_MISMATCH: ['error', 'structure'],
  MIN_CARDINALITY: ['error', 'required'],
  MAX_CARDINALITY: ['error', 'structure'],
  TYPE_NOT_ALLOWED: ['error', 'structure'],
  OBJECT_EXPECTED: ['error', 'structure'],
  PRIMITIVE_INVALID: ['error', 'value'],
  MAX_LENGTH: ['error', 'too-long'],
  VALUE_OUT_OF_RANGE: ['error', 'value'],
  FIXED_VALUE: ['error', 'value'],
  PATTERN_VALUE: ['error', 'value'],
  CODE_NOT_IN_REQUIRED_VALUESET: ['error', 'code-invalid'],
  CODE_NOT_IN_EXTENSIBLE_VALUESET: ['warning', 'code-invalid'],
  VALUESET_UNKNOWN: ['warning', 'not-found'],
  VALUESET_NOT_CHECKED: ['information', 'informational'],
  CODE_UNKNOWN_IN_SYSTEM: ['error', 'code-invalid'],
  CODE_DISPLAY_MISMATCH: ['warning', 'code-invalid'],
  CODE_MISSING: ['error', 'code-invalid'],
  SLICE_CLOSED: ['error', 'structure'],
  SLICE_MIN: ['error', 'required'],
  SLICE_MAX: ['error', 'structure'],
  SLICE_ORDER: ['error', 'structure'],
  INVARIANT: ['error', 'invariant'],
  INVARIANT_NOT_EVALUATED: ['information', 'informational'],
  NARRATIVE_INVALID: ['error', 'invariant'],
  NARRATIVE_EMPTY: ['error', 'invariant'],
  REFERENCE_TARGET_TYPE: ['error', 'structure'],
  REFERENCE_MALFORMED: ['error', 'value'],
  CONTAINED_NOT_FOUND: ['error', 'not-found'],
  CONTAINED_NOT_REFERENCED: ['error', 'invariant'],
  EXTENSION_UNKNOWN: ['warning', 'extension'],
  EXTENSION_CONTEXT: ['error', 'extension'],
  EXTENSION_VALUE_AND_CHILDREN: ['error', 'invariant'],
  RESOURCE_TYPE_UNKNOWN: ['error', 'structure'],
  RESOURCE_TYPE_MISSING: ['error', 'structure'],
  PROFILE_UNKNOWN: ['warning', 'not-found'],
  PROFILE_WRONG_TYPE: ['error', 'structure'],
  TOO_MANY_ISSUES: ['information', 'too-costly'],
  TOO_DEEP: ['error', 'too-costly'],
  QUESTIONNAIRE_UNKNOWN: ['warning', 'not-found'],
  QUESTIONNAIRE_LINKID: ['error', 'structure'],
  QUESTIONNAIRE_REQUIRED: ['error', 'required'],
  QUESTIONNAIRE_DISABLED: ['error', 'business-rule'],
  QUESTIONNAIRE_ANSWER_TYPE: ['error', 'structure'],
  QUESTIONNAIRE_REPEATS: ['error', 'structure'],
  QUESTIONNAIRE_OPTION: ['error', 'code-invalid'],
  QUESTIONNAIRE_RANGE: ['error', 'value'],
  URI_INVALID: ['error', 'value'],
  EXAMPLE_URL: ['error', 'value'],
  MARKDOWN_HTML: ['error', 'value'],
  STRING_HTML: ['error', 'security'],
  CODING_SYSTEM_INVALID: ['error', 'code-invalid'],
  ATTACHMENT_SIZE: ['error', 'value'],
  ID_EXTENSION: ['error', 'structure'],
  CANONICAL_NOT_ABSOLUTE: ['error', 'value'],
  CANONICAL_WRONG_TYPE: ['error', 'structure'],
  BUNDLE_LINK_REPEATED: ['error', 'business-rule'],
  CODESYSTEM_SUPPLEMENT: ['error', 'business-rule'],
  CODESYSTEM_PROPERTY: ['error', 'business-rule'],
  SEARCHPARAMETER_DERIVATION: ['error', 'business-rule'],
  VALUESET_FILTER: ['error', 'business-rule'],
  SEARCHSET_ENTRY: ['error', 'business-rule'],
} as const satisfies Record<string, readonly [IssueSeverity, IssueCode]>;

export type MessageId = keyof typeof MESSAGE;

/** An issue as the validator reports it: the OperationOutcome issue plus its stable id. */
export interface ValidationIssue extends Issue {
  messageId: MessageId;
}

export function issue(id: MessageId, expression: string | string[], diagnostics: string, severity?: IssueSeverity): ValidationIssue {
  const [defaultSeverity, code] = MESSAGE[id];
  return { severity: severity ?? defaultSeverity, code, diagnostics, expression: Array.isArray(expression) ? expression : [expression], messageId: id };
}
