import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { ConfigError } from '#config/errors.ts';
import { type IngressSource, parseIngressEntry } from '#infra/ingress.ts';
import { parseSettings, type RawContext } from '#infra/settings.ts';
import { IMPORTS, resourcesOf, synth } from './fixtures.ts';

const ports = [...new Set(Object.values(loadCatalog().runtimes).map((runtime) => runtime.containerPort))];
const taskGroupOf = (context: RawContext) => {
  const groups = Object.entries(resourcesOf(synth(context).template, 'AWS::EC2::SecurityGroup')).filter(
    ([id]) => id.startsWith('NetworkTaskSecurityGroup'),
  );
  expect(groups).toHaveLength(1);
  return groups[0]?.[1].Properties as Record<string, unknown>;
};

describe('workspaceIngress entries', () => {
  it.each([
    ['sg-0123456789abcdef0', { kind: 'security-group', id: 'sg-0123456789abcdef0' }],
    ['pl-0123456789abcdef0', { kind: 'prefix-list', id: 'pl-0123456789abcdef0' }],
    ['10.20.0.0/16', { kind: 'ipv4', cidr: '10.20.0.0/16' }],
    ['192.168.7.9/32', { kind: 'ipv4', cidr: '192.168.7.9/32' }],
    ['fd00:ec2::/56', { kind: 'ipv6', cidr: 'fd00:ec2::/56' }],
    ['2001:db8::1/128', { kind: 'ipv6', cidr: '2001:db8::1/128' }],
    ['::ffff:10.0.0.0/104', { kind: 'ipv6', cidr: '::ffff:10.0.0.0/104' }],
  ] as Array<[string, IngressSource]>)('reads %s', (entry, source) => {
    expect(parseIngressEntry(entry)).toEqual({ source });
  });

  it.each([
    ['0.0.0.0/0', 'opens the workspace port to every address'],
    ['::/0', 'opens the workspace port to every address'],
    ['10.0.0.1/16', 'has host bits set; did you mean "10.0.0.0/16"?'],
    ['fd00::1/64', 'has host bits set'],
    ['10.0.0.0/33', 'has a prefix length outside 0 to 32'],
    ['fd00::/129', 'has a prefix length outside 0 to 128'],
    ['10.0.0.0', 'is neither a security group id'],
    ['256.0.0.0/8', 'is neither a security group id'],
    ['sg-123', 'is neither a security group id'],
    ['vpc-0123456789abcdef0', 'is neither a security group id'],
  ])('refuses %s, naming it', (entry, expected) => {
    const result = parseIngressEntry(entry);
    expect(result).toHaveProperty('problem');
    const { problem } = result as { problem: string };
    expect(problem).toContain(`"${entry}"`);
    expect(problem).toContain(expected);
  });
});

describe('workspaceIngress on the tasks security group', () => {
  it('opens nothing inbound by default', () => {
    const group = taskGroupOf({});
    expect(group.SecurityGroupIngress).toBeUndefined();
    expect(group.GroupDescription).toBe('Workspace tasks: egress only, nothing inbound');
    expect(resourcesOf(synth({}).template, 'AWS::EC2::SecurityGroupIngress')).toEqual({});
  });

  it("opens each of the catalog's container ports over TCP to each entry, and nothing else", () => {
    const context = {
      workspaceIngress: 'sg-0123456789abcdef0,10.20.0.0/16,fd00:ec2::/56,pl-0123456789abcdef0',
    };
    const { template } = synth(context);
    const [groupId, group] =
      Object.entries(resourcesOf(template, 'AWS::EC2::SecurityGroup')).find(([id]) =>
        id.startsWith('NetworkTaskSecurityGroup'),
      ) ?? [];
    // CDK writes a prefix-list rule as its own AWS::EC2::SecurityGroupIngress, the others inline.
    const standalone = Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress')).map(
      ({ Properties: { GroupId, ...rule } }) => {
        expect(GroupId).toEqual({ 'Fn::GetAtt': [groupId, 'GroupId'] });
        return rule;
      },
    );
    const rules = [...((group?.Properties.SecurityGroupIngress as unknown[]) ?? []), ...standalone];
    const rule = (source: Record<string, string>, port: number, what: string) => ({
      IpProtocol: 'tcp',
      FromPort: port,
      ToPort: port,
      Description: `Workspace port ${port} from ${what}`,
      ...source,
    });
    expect(rules).toHaveLength(context.workspaceIngress.split(',').length * ports.length);
    expect(rules).toEqual(
      expect.arrayContaining(
        ports.flatMap((port) => [
          rule({ SourceSecurityGroupId: 'sg-0123456789abcdef0' }, port, 'sg-0123456789abcdef0'),
          rule({ CidrIp: '10.20.0.0/16' }, port, '10.20.0.0/16'),
          rule({ CidrIpv6: 'fd00:ec2::/56' }, port, 'fd00:ec2::/56'),
          rule({ SourcePrefixListId: 'pl-0123456789abcdef0' }, port, 'pl-0123456789abcdef0'),
        ]),
      ),
    );
  });

  it.each([
    [{ workspaceIngress: '0.0.0.0/0' }, '"0.0.0.0/0" opens the workspace port to every address'],
    [{ workspaceIngress: 'sg-0123456789abcdef0,::/0' }, '"::/0" opens the workspace port to every address'],
    [{ workspaceIngress: 'platform' }, '"platform" is neither a security group id'],
    [
      { workspaceIngress: 'sg-0123456789abcdef0,sg-0123456789abcdef0' },
      'lists "sg-0123456789abcdef0" more than once',
    ],
    [
      { ...IMPORTS, workspaceIngress: 'sg-0fedcba9876543210' },
      'with "securityGroupIds", open the workspace port where',
    ],
  ] as Array<[RawContext, string]>)('refuses %j at synth, naming the option', (context, expected) => {
    expect(() => parseSettings(context)).toThrow(ConfigError);
    expect(() => parseSettings(context)).toThrow('context option "workspaceIngress"');
    expect(() => parseSettings(context)).toThrow(expected);
  });

  it('names every invalid entry at once', () => {
    expect(() => parseSettings({ workspaceIngress: '0.0.0.0/0,10.0.0.1/8' })).toThrow(
      /"0\.0\.0\.0\/0"[\s\S]*"10\.0\.0\.1\/8"/,
    );
  });
});
