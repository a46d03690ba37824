import { describe, expect, it } from 'vitest';
import { type AddressedTask, taskAddress } from '#core/task-address.ts';

/**
 * The address of a task, from the shapes ECS gives: DescribeTasks' `attachments` of type
 * `ElasticNetworkInterface` with the detail `privateIPv4Address`
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attachment.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html), and a
 * container's `networkBindings[].hostPort`
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_NetworkBinding.html).
 */
const eni = (address: string, type = 'ElasticNetworkInterface') => ({
  type,
  status: 'ATTACHED',
  details: [
    { name: 'subnetId', value: 'subnet-1' },
    { name: 'networkInterfaceId', value: 'eni-1' },
    { name: 'privateIPv4Address', value: address },
  ],
});

const cases: ReadonlyArray<[string, AddressedTask, ReturnType<typeof taskAddress>]> = [
  [
    'the ENI address and the catalog port',
    { attachments: [eni('10.0.1.23')], containers: [{ name: 'workspace' }] },
    { privateIpv4Address: '10.0.1.23', port: 8000, url: 'http://10.0.1.23:8000' },
  ],
  [
    'the `eni` type the local emulator may write',
    { attachments: [eni('127.0.0.1', 'eni')] },
    { privateIpv4Address: '127.0.0.1', port: 8000, url: 'http://127.0.0.1:8000' },
  ],
  [
    "the workspace container's bound host port over the catalog's",
    {
      attachments: [eni('127.0.0.1')],
      containers: [
        { name: 'boot', networkBindings: [{ hostPort: 1 }] },
        { name: 'workspace', networkBindings: [{ hostPort: 41234 }] },
      ],
    },
    { privateIpv4Address: '127.0.0.1', port: 41234, url: 'http://127.0.0.1:41234' },
  ],
  ['no attachment yet', { attachments: [] }, undefined],
  ['an attachment of another type', { attachments: [eni('10.0.0.1', 'Service Connect')] }, undefined],
  [
    'an attachment without the detail',
    { attachments: [{ type: 'ElasticNetworkInterface', details: [] }] },
    undefined,
  ],
  ['a detail that is not an IPv4 address', { attachments: [eni('10.0.0.1; rm -rf /')] }, undefined],
];

describe('taskAddress', () => {
  it.each(cases)('%s', (_name, task, expected) => {
    expect(taskAddress(task, 8000)).toEqual(expected);
  });
});
