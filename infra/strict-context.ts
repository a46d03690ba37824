/**
 * CDK hands an app every context key it was given and never complains about one nobody reads, so
 * `-c alarmTopic=…` (for `alarmTopicArn`) would synthesize and do nothing. This module finds the
 * keys that are neither ours nor CDK's, and the known option each one most likely meant.
 */

/**
 * Keys without a `:` that the CDK CLI itself puts into the context: `cli-telemetry` (set by
 * `cdk cli-telemetry` and read back, as in this repository's cdk.json) and
 * `acknowledged-issue-numbers` (written to cdk.context.json by `cdk acknowledge`).
 */
export const CDK_CLI_CONTEXT_KEYS: readonly string[] = ['cli-telemetry', 'acknowledged-issue-numbers'];

/**
 * Whether a context key belongs to CDK rather than to this app: feature flags (`@aws-cdk/…`,
 * `@aws-cdk-containers/…`), the toolkit's own settings (`aws:cdk:…`, `cdk-…`), cached lookups
 * (`availability-zones:account=…:region=…`, any key with a `:`) and the CLI's keys above.
 */
export function isCdkContextKey(key: string): boolean {
  return (
    key.includes(':') ||
    key.startsWith('@aws-cdk') ||
    key.startsWith('aws:cdk') ||
    key.startsWith('cdk-') ||
    CDK_CLI_CONTEXT_KEYS.includes(key)
  );
}

/** Levenshtein distance, compared without case: `vpcID` is 0 from `vpcId`, `alarmTopic` 3 from `alarmTopicArn`. */
export function editDistance(left: string, right: string): number {
  const a = left.toLowerCase();
  const b = right.toLowerCase();
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known option nearest to `key` by edit distance; the first in `known` order on a tie. */
export function nearestOption(key: string, known: readonly string[]): string | undefined {
  let best: { option: string; distance: number } | undefined;
  for (const option of known) {
    const distance = editDistance(key, option);
    if (!best || distance < best.distance) best = { option, distance };
  }
  return best?.option;
}

/**
 * One message per context key that is neither a known option nor CDK's, naming the nearest known
 * option: `context option "alarmTopic" is unknown; did you mean "alarmTopicArn"?`.
 */
export function unknownContextKeyProblems(keys: readonly string[], known: readonly string[]): string[] {
  return keys
    .filter((key) => !known.includes(key) && !isCdkContextKey(key))
    .map((key) => {
      const nearest = nearestOption(key, known);
      return `context option "${key}" is unknown${nearest ? `; did you mean "${nearest}"?` : ''}`;
    });
}
