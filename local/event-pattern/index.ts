/**
 * EventBridge event-pattern matching for the local stack: validation with the service's messages, a
 * compiled predicate per pattern, and an indexed rule set per bus. Pure: no I/O, no SDK.
 *
 * Semantics follow `shared/reference/eventbridge-pattern-semantics.md`, and aws/event-ruler's
 * `JsonRuleCompiler` where that file is silent.
 */
export {
  type CompiledEventPattern,
  type CompileEventPatternOptions,
  compileEventPattern,
  DEFAULT_MAX_PATTERN_LENGTH,
  matchesEventPattern,
} from './compile.ts';
export { InvalidEventPatternError, isInvalidEventPatternError } from './errors.ts';
export { MAX_OR_COMBINATIONS } from './parse-pattern.ts';
export { EventRuleSet } from './rule-set.ts';
