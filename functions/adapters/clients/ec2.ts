/**
 * v1.3: the EC2 client of a Lambda entry (data volumes and snapshots), loaded on first use. Only a
 * persistent workspace's launch, save or erase calls EC2, and `@aws-sdk/client-ec2` is by far the
 * largest SDK client the functions bundle: evaluating it at init would add to every cold start,
 * ephemeral requests' included. The bundle still carries it; the dynamic import defers its
 * evaluation to the first call that needs it.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { traced } from './traced.ts';

/** The EC2 client, built on first call and the same one after. */
export type Ec2ClientSource = () => Promise<EC2Client>;

/** An {@link Ec2ClientSource} over a client built already (tests, the local stack). */
export const ec2ClientOf =
  (client: EC2Client): Ec2ClientSource =>
  async () =>
    client;

/** The EC2 client of a Lambda entry, traced when tracing is on, loaded on first use. */
export function ec2Client(tracer: Tracer): Ec2ClientSource {
  let client: Promise<EC2Client> | undefined;
  return () => {
    client ??= import('@aws-sdk/client-ec2').then(({ EC2Client }) => traced(tracer, new EC2Client({})));
    return client;
  };
}
