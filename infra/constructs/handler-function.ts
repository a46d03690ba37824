import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LambdaDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '#infra/nag-acknowledgments.ts';
import { functionDeadLetterQueueName, functionPhysicalName } from '#wiring/dead-letter-queues.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';

export interface HandlerFunctionProps {
  /** The function's row of the flows table: entry, timeout, memory and async settings. */
  readonly spec: FunctionSpec;
  /** Repository root: the entry is resolved against it and its lock file pins the bundle. */
  readonly projectRoot: string;
  /**
   * The variables the handler reads, besides `POWERTOOLS_SERVICE_NAME` (the spec's name),
   * `POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_LOG_LEVEL` and `NODE_OPTIONS`, which this construct sets.
   */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Retention of the function's log group.
   * @default one month
   */
  readonly logRetention?: RetentionDays;
  /**
   * Reserved concurrency.
   * @default none: the function draws from the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /**
   * Where async invocations go once retries are spent; required when the spec names one.
   * @default none
   */
  readonly onFailure?: IFunction;
  /**
   * Powertools metrics namespace.
   * @default 'WorkspaceProvisioner'
   */
  readonly metricsNamespace?: string;
}

/** The Powertools tracer needs `require` inside an ESM bundle. */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/**
 * One handler as a Lambda function: Node 24 on arm64, an ESM bundle (minified, with source maps
 * and the AWS SDK inside), active tracing, its own log group with retention, and an async invoke
 * config with the spec's retries, maximum event age and on-failure destination, and, when the
 * spec asks, an SQS dead-letter queue. Its role starts with writing its own logs only; callers
 * grant the rest.
 */
export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly spec: FunctionSpec;
  readonly deadLetterQueue?: DeadLetterQueue;
  readonly reservedConcurrency?: number;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const { spec } = props;
    this.spec = spec;
    if (props.reservedConcurrency !== undefined) this.reservedConcurrency = props.reservedConcurrency;
    this.node.addValidation({
      validate: () => {
        const errors: string[] = [];
        if (spec.onFailure && !props.onFailure) {
          errors.push(`${spec.name}: the spec routes failures to ${spec.onFailure}; pass onFailure`);
        }
        if (!spec.onFailure && props.onFailure) {
          errors.push(`${spec.name}: the spec has no on-failure destination; drop onFailure`);
        }
        if (props.reservedConcurrency !== undefined && props.reservedConcurrency < 1) {
          errors.push(`${spec.name}: reservedConcurrency must be at least 1 (0 would stop every invocation)`);
        }
        if (spec.asyncRetryAttempts < 0 || spec.asyncRetryAttempts > 2) {
          errors.push(`${spec.name}: async retries must be 0 to 2; got ${spec.asyncRetryAttempts}`);
        }
        if (spec.asyncMaxEventAgeSeconds < 60 || spec.asyncMaxEventAgeSeconds > 21_600) {
          errors.push(
            `${spec.name}: async maximum event age must be 60 to 21600 seconds; got ${spec.asyncMaxEventAgeSeconds}`,
          );
        }
        return errors;
      },
    });

    if (spec.deadLetterQueue) {
      // Lambda's async dead-letter queue keeps the original event, ready for redrive.
      this.deadLetterQueue = new DeadLetterQueue(this, 'AsyncDlq', {
        name: `${spec.name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase())}Async`,
        queueName: functionDeadLetterQueueName(spec.name),
        purpose: `events the ${spec.name} function failed on after its async retries`,
      });
    }
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: logs go to this log group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Workspace provisioner ${spec.name} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      // A fixed name, so the dead-letter tool can invoke the function that should have handled a message.
      functionName: functionPhysicalName(spec.name),
      entry: path.join(props.projectRoot, spec.entry),
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      handler: 'handler',
      description: spec.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      ...(this.deadLetterQueue ? { deadLetterQueue: this.deadLetterQueue.queue } : {}),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: spec.name,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'WorkspaceProvisioner',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // Stack traces need only the mappings. With --enable-source-maps Node reads and parses the whole
        // map at import, and embedded sources would make it about three times larger: a cold-start
        // cost on every function for text no trace shows.
        sourcesContent: false,
        bundleAwsSDK: true,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Bundling runs esbuild through npx; keep npm from asking the registry about its own version,
        // so synth stays offline.
        environment: { NPM_CONFIG_UPDATE_NOTIFIER: 'false' },
      },
    });
    acknowledgeWildcardResource(
      this.role,
      '*',
      'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource type, so AWS requires "*".',
    );

    this.function.configureAsyncInvoke({
      retryAttempts: spec.asyncRetryAttempts,
      maxEventAge: Duration.seconds(spec.asyncMaxEventAgeSeconds),
      ...(props.onFailure
        ? { onFailure: new LambdaDestination(props.onFailure, { responseOnly: false }) }
        : {}),
    });
    if (props.onFailure) {
      acknowledgeWildcardResource(
        this.role,
        `${props.onFailure.functionArn}:*`,
        `The on-failure destination invokes the ${spec.onFailure} function; CDK's invoke grant also names its versions and aliases (":*"), no other function.`,
      );
    }
  }
}
