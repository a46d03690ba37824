export * from './ec2.ts';
export * from './ecs.ts';
export * from './envelope.ts';
export * from './fields.ts';
export * from './inbound.ts';
export * from './names.ts';
export * from './outbound.ts';
export * from './registry.ts';
