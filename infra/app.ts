import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '#config/errors.ts';
import { settingsFromContext } from '#infra/settings.ts';
import { WorkspaceProvisionerStack } from '#infra/workspace-provisioner-stack.ts';
import { STACK_ID } from '#wiring/names.ts';

/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`; cdk.json runs it with tsx). It reads the
 * deployment settings from context, builds the `WorkspaceProvisioner` stack and runs cdk-nag's
 * AwsSolutions pack on it: synthesis fails on any finding that is not acknowledged with a reason.
 */
const app = new App();
try {
  const settings = settingsFromContext(app.node);
  new WorkspaceProvisionerStack(app, STACK_ID, {
    settings,
    description:
      'Workspace provisioner: EventBridge requests to ECS Fargate workspaces, with follow-up events',
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
Tags.of(app).add('project', 'workspace-provisioner');
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
