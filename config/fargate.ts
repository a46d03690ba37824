/**
 * Fargate's valid cpu/memory pairs (MiB), so a tier sizing mistake fails at load and at synth
 * instead of at RunTask time. Source: ECS developer guide, "Task CPU and memory" (Fargate).
 */
const ranges: ReadonlyArray<{ cpu: number; min: number; max: number; step: number; extra?: number[] }> = [
  { cpu: 256, min: 1024, max: 2048, step: 1024, extra: [512] },
  { cpu: 512, min: 1024, max: 4096, step: 1024 },
  { cpu: 1024, min: 2048, max: 8192, step: 1024 },
  { cpu: 2048, min: 4096, max: 16384, step: 1024 },
  { cpu: 4096, min: 8192, max: 30720, step: 1024 },
  { cpu: 8192, min: 16384, max: 61440, step: 4096 },
  { cpu: 16384, min: 32768, max: 122880, step: 8192 },
];

/** True when Fargate accepts this task-level cpu and memory. */
export function isValidFargateSize(cpu: number, memory: number): boolean {
  const range = ranges.find((candidate) => candidate.cpu === cpu);
  if (!range) return false;
  if (range.extra?.includes(memory)) return true;
  return memory >= range.min && memory <= range.max && (memory - range.min) % range.step === 0;
}
