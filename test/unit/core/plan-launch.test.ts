import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { KINDS } from '#contracts/names.ts';
import { LaunchPlanError } from '#core/errors.ts';
import { clientTokenFor, OVERRIDES_BUDGET_CHARS, planLaunch } from '#core/plan-launch.ts';

const catalog = loadCatalog();
const target = { cluster: 'workspaces', subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'] };
const request = (overrides: Record<string, unknown> = {}) =>
  ProvisionRequestedDetail.parse({
    requestId: 'req-1',
    workspaceId: 'ws-1',
    orgId: 'org-1',
    runtime: 'codex',
    ...overrides,
  });

describe('planLaunch', () => {
  it('runs the workspace-<runtime> family with the plain per-runtime image', () => {
    const plan = planLaunch(request(), catalog, target);
    expect(plan.family).toBe('workspace-codex');
    expect(plan.runTaskInput.taskDefinition).toBe('workspace-codex');
    expect(plan.image).toBe('ghcr.io/molecule-ai/workspace-template-codex:latest');
  });

  it('runs the exact task definition revision the deployment pinned, not the family', () => {
    const arn = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/workspace-codex:7';
    const pinned = loadCatalog({ taskDefinitions: { codex: arn } });
    const plan = planLaunch(request(), pinned, target);
    expect(plan.runTaskInput.taskDefinition).toBe(arn);
    expect(plan.family).toBe('workspace-codex');
    // A runtime without a pinned revision still runs its family.
    expect(planLaunch(request({ runtime: 'hermes' }), pinned, target).runTaskInput.taskDefinition).toBe(
      'workspace-hermes',
    );
  });

  it.each(Object.keys(catalog.runtimes))('gives every kind the same image for %s', (runtime) => {
    const images = new Set(
      KINDS.map((kind) => planLaunch(request({ runtime, kind }), catalog, target).image),
    );
    expect([...images]).toEqual([catalog.runtimes[runtime]?.image]);
    expect([...images][0]).not.toMatch(/platform|agent/);
  });

  it.each([
    [1, 256, 512],
    [2, 512, 1024],
    [3, 1024, 2048],
    [4, 2048, 4096],
  ])('sizes tier %i as %i cpu and %i MiB', (tier, cpu, memory) => {
    const plan = planLaunch(request({ tier }), catalog, target);
    expect([plan.cpu, plan.memory]).toEqual([cpu, memory]);
    expect(plan.runTaskInput.overrides.cpu).toBe(String(cpu));
    expect(plan.runTaskInput.overrides.memory).toBe(String(memory));
  });

  it('sets the system variables, then the request env, on the workspace container', () => {
    const plan = planLaunch(
      request({ kind: 'platform', tier: 3, env: { LOG_LEVEL: 'debug' } }),
      catalog,
      target,
    );
    const [container] = plan.runTaskInput.overrides.containerOverrides;
    expect(container?.name).toBe('workspace');
    expect(container?.environment).toEqual([
      { name: 'WORKSPACE_ID', value: 'ws-1' },
      { name: 'ORG_ID', value: 'org-1' },
      { name: 'WORKSPACE_KIND', value: 'platform' },
      { name: 'WORKSPACE_RUNTIME', value: 'codex' },
      { name: 'TIER', value: '3' },
      { name: 'LOG_LEVEL', value: 'debug' },
    ]);
  });

  it('tags the task and sets startedBy to the workspace', () => {
    const plan = planLaunch(request({ kind: 'platform' }), catalog, target);
    expect(plan.runTaskInput.startedBy).toBe('ws-1');
    expect(plan.runTaskInput.tags).toEqual([
      { key: 'workspace-id', value: 'ws-1' },
      { key: 'org-id', value: 'org-1' },
      { key: 'kind', value: 'platform' },
      { key: 'runtime', value: 'codex' },
      { key: 'request-id', value: 'req-1' },
    ]);
  });

  it('launches on Fargate in the given subnets with no public IP by default', () => {
    const plan = planLaunch(request(), catalog, target);
    expect(plan.runTaskInput).toMatchObject({
      cluster: 'workspaces',
      launchType: 'FARGATE',
      count: 1,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-1'],
          assignPublicIp: 'DISABLED',
        },
      },
    });
  });

  it.each([['WORKSPACE_ID'], ['TIER'], ['AWS_REGION'], ['ECS_CONTAINER_METADATA_URI']])(
    'refuses the reserved env name %s even when the contract was bypassed',
    (name) => {
      const bypassed = { ...request(), env: { [name]: 'x' } };
      expect(() => planLaunch(bypassed, catalog, target)).toThrow(LaunchPlanError);
      expect(() => planLaunch(bypassed, catalog, target)).toThrow(name);
    },
  );

  it('refuses a runtime outside the catalog', () => {
    expect(() => planLaunch({ ...request(), runtime: 'cobol' }, catalog, target)).toThrow(
      /not in the catalog/,
    );
  });

  it('v1.1: gives the workspace its secrets as env files in the order org, platform, workspace, whatever the request order', () => {
    const plan = planLaunch(
      request({ kind: 'platform', secrets: ['workspace', 'platform', 'org'] }),
      catalog,
      target,
    );
    const [workspace] = plan.runTaskInput.overrides.containerOverrides;
    expect(workspace?.environmentFiles).toEqual([
      { type: 's3', value: 'arn:aws:s3:::workspace-files/orgs/org-1/secrets/org.env' },
      { type: 's3', value: 'arn:aws:s3:::workspace-files/orgs/org-1/secrets/platform.env' },
      { type: 's3', value: 'arn:aws:s3:::workspace-files/orgs/org-1/workspaces/ws-1/secrets.env' },
    ]);
    expect(plan.secrets).toEqual(['org', 'platform', 'workspace']);
  });

  it('v1.1: gives no env files to a workspace that lists no secrets', () => {
    const [workspace] = planLaunch(request(), catalog, target).runTaskInput.overrides.containerOverrides;
    expect(workspace?.environmentFiles).toBeUndefined();
  });

  it("v1.1: hands the boot step the request's bundle, in the given bucket and the cluster's partition", () => {
    const plan = planLaunch(request(), catalog, {
      ...target,
      cluster: 'arn:aws-cn:ecs:cn-north-1:111122223333:cluster/workspaces',
      workspaceFilesBucket: 'files-1',
    });
    expect(plan.runTaskInput.overrides.containerOverrides[1]).toEqual({
      name: 'boot',
      environmentFiles: [{ type: 's3', value: 'arn:aws-cn:s3:::files-1/boot/org-1/ws-1/req-1.env' }],
    });
    expect(plan.bootBundleKey).toBe('boot/org-1/ws-1/req-1.env');
  });

  it('v1.1: keeps the overrides within the budget for the largest env, ids and every secrets scope', () => {
    const env = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`V${String(i).padStart(2, '0')}`, 'x'.repeat(78)]),
    );
    const plan = planLaunch(
      request({
        env,
        kind: 'platform',
        secrets: ['org', 'platform', 'workspace'],
        requestId: 'r'.repeat(64),
        workspaceId: 'w'.repeat(64),
        orgId: 'o'.repeat(64),
      }),
      catalog,
      { ...target, workspaceFilesBucket: 'b'.repeat(63) },
    );
    expect(JSON.stringify(plan.runTaskInput.overrides).length).toBeLessThanOrEqual(OVERRIDES_BUDGET_CHARS);
  });

  it('keeps the overrides within the budget for the largest valid env', () => {
    const env = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`V${String(i).padStart(2, '0')}`, 'x'.repeat(78)]),
    );
    const plan = planLaunch(request({ env }), catalog, target);
    expect(JSON.stringify(plan.runTaskInput.overrides).length).toBeLessThanOrEqual(OVERRIDES_BUDGET_CHARS);
  });

  it('refuses, naming the budget, when JSON escaping pushes the overrides past 8,192 characters', () => {
    const env = { BLOB: '"'.repeat(4000) };
    const error = (() => {
      try {
        planLaunch(request({ env }), catalog, target);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(LaunchPlanError);
    expect((error as LaunchPlanError).path).toBe('env');
    expect((error as Error).message).toMatch(/8192/);
  });
});

describe('clientTokenFor', () => {
  it('is deterministic per workspace and request', () => {
    expect(clientTokenFor('ws-1', 'req-1')).toBe(clientTokenFor('ws-1', 'req-1'));
    expect(clientTokenFor('ws-1', 'req-1')).not.toBe(clientTokenFor('ws-1', 'req-2'));
    expect(clientTokenFor('ws-1', 'req-1')).not.toBe(clientTokenFor('ws-2', 'req-1'));
  });

  it('cannot collide by moving characters between the two ids', () => {
    expect(clientTokenFor('ab', 'c')).not.toBe(clientTokenFor('a', 'bc'));
  });

  it('fits ECS: at most 64 characters in the ASCII range 33 to 126', () => {
    const token = clientTokenFor('w'.repeat(64), 'r'.repeat(64));
    expect(token.length).toBeLessThanOrEqual(64);
    expect([...token].every((char) => char.charCodeAt(0) >= 33 && char.charCodeAt(0) <= 126)).toBe(true);
  });

  it('moves to a new token per generation, keeping generation 0 as the plan token', () => {
    const tokens = new Set([0, 1, 2].map((generation) => clientTokenFor('ws-1', 'req-1', generation)));
    expect(tokens.size).toBe(3);
    expect(clientTokenFor('ws-1', 'req-1', 0)).toBe(clientTokenFor('ws-1', 'req-1'));
    expect(clientTokenFor('ws-1', 'req-1', 2)).toBe(clientTokenFor('ws-1', 'req-1', 2));
  });

  it('is the token the plan sends', () => {
    expect(planLaunch(request(), catalog, target).runTaskInput.clientToken).toBe(
      clientTokenFor('ws-1', 'req-1'),
    );
  });
});
