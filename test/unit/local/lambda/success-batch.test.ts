import { describe, expect, it } from 'vitest';
import type { LocalDatabase } from '#local/interfaces.ts';
import { createSuccessBatch } from '#local/lambda/success-batch.ts';
import { invocationOf } from './invocation-fixture.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function batchHarness(failWrites = false) {
  const transactions: number[][] = [];
  let current: number[] = [];
  const database = {
    transaction<T>(work: () => T): T {
      current = [];
      const result = work();
      if (failWrites) throw new Error('disk full');
      transactions.push(current);
      return result;
    },
  } as unknown as LocalDatabase;
  const told: Array<[number, number]> = [];
  const errors: unknown[] = [];
  const batch = createSuccessBatch({
    database,
    store: { succeed: (id) => current.push(id) },
    observer: { succeeded: (invocation, ms) => told.push([invocation.id, ms]), error: (e) => errors.push(e) },
  });
  return { batch, transactions, told, errors };
}

describe('success batching', () => {
  it('writes the successes of one turn in one transaction, then tells the observer', async () => {
    const { batch, transactions, told } = batchHarness();
    batch.add(invocationOf({ id: 1 }), 10, 5);
    batch.add(invocationOf({ id: 2 }), 11, 6);
    expect(transactions).toEqual([]);

    await nextTurn();
    expect(transactions).toEqual([[1, 2]]);
    expect(told).toEqual([
      [1, 5],
      [2, 6],
    ]);

    batch.add(invocationOf({ id: 3 }), 12, 7);
    await nextTurn();
    expect(transactions).toEqual([[1, 2], [3]]);
  });

  it('writes on flush without waiting, and writes nothing when empty', () => {
    const { batch, transactions } = batchHarness();
    batch.flush();
    expect(transactions).toEqual([]);
    batch.add(invocationOf({ id: 4 }), 10, 1);
    batch.flush();
    expect(transactions).toEqual([[4]]);
  });

  it('reports a failed write and tells no success', async () => {
    const { batch, told, errors } = batchHarness(true);
    batch.add(invocationOf({ id: 1 }), 10, 5);
    await nextTurn();
    expect(told).toEqual([]);
    expect(errors).toMatchObject([{ message: 'disk full' }]);
  });
});
