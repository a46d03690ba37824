import * as z from 'zod';

/**
 * `detail` of AWS's `ECS Task State Change`. Parsed leniently: AWS adds fields over time, so
 * unknown fields pass through and only what the task-state handler relies on is required.
 */
const KeyValue = z.looseObject({ name: z.string().optional(), value: z.string().optional() });

export const EcsTaskStateChangeDetail = z.looseObject({
  clusterArn: z.string(),
  taskArn: z.string(),
  taskDefinitionArn: z.string().optional(),
  group: z.string().optional(),
  startedBy: z.string().optional(),
  lastStatus: z.string(),
  desiredStatus: z.string().optional(),
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
  version: z.number().int().nonnegative(),
  createdAt: z.string().optional(),
  startedAt: z.string().optional(),
  stoppedAt: z.string().optional(),
  containers: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        lastStatus: z.string().optional(),
        exitCode: z.number().int().optional(),
        reason: z.string().optional(),
        image: z.string().optional(),
        imageDigest: z.string().optional(),
        /** v1.1: where the task's port is bound (the local process driver's host port). */
        networkBindings: z
          .array(
            z.looseObject({
              containerPort: z.number().int().optional(),
              hostPort: z.number().int().optional(),
              bindIP: z.string().optional(),
              protocol: z.string().optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  /** v1.1: the task's network interface, with its `privateIPv4Address` detail. */
  attachments: z
    .array(
      z.looseObject({
        type: z.string().optional(),
        status: z.string().optional(),
        details: z.array(KeyValue).optional(),
      }),
    )
    .optional(),
  overrides: z
    .looseObject({
      containerOverrides: z
        .array(
          z.looseObject({
            name: z.string().optional(),
            environment: z.array(KeyValue).optional(),
            /** v1.1: S3 object ARNs only (the boot bundle on `boot`, secrets files on `workspace`). */
            environmentFiles: z
              .array(z.looseObject({ type: z.string().optional(), value: z.string().optional() }))
              .optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  tags: z.array(z.looseObject({ key: z.string().optional(), value: z.string().optional() })).optional(),
});
export type EcsTaskStateChangeDetail = z.infer<typeof EcsTaskStateChangeDetail>;
