/** The errors of the local stack's simulation endpoints. */

/** A simulation request whose body is not what the endpoint takes; each problem names its field. */
export class SimulationInputError extends Error {
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'SimulationInputError';
    this.problems = problems;
  }
}
