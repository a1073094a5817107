// The torchrun variables a worker reads: present and valid, absent (a plain run), or one
// clear error naming the variable.
import { workerEnvironment } from '../../ts/distributed/environment';

const job = { RANK: '1', WORLD_SIZE: '4', LOCAL_RANK: '1', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29500' };

test('a worker of a job', () => {
  expect(workerEnvironment(job)).toEqual({ rank: 1, worldSize: 4, localRank: 1, masterAddr: '10.0.0.1', masterPort: 29500, launched: false });
  expect(workerEnvironment({ ...job, ALBERT_TRAINER_LAUNCHED: '1' })?.launched).toBe(true);
  expect(workerEnvironment({ ...job, LOCAL_RANK: undefined })?.localRank).toBe(1);
});

test('not a worker: nothing set, or a world of one', () => {
  expect(workerEnvironment({})).toBeUndefined();
  expect(workerEnvironment({ RANK: '0', WORLD_SIZE: '1' })).toBeUndefined();
});

test.each([
  [{ ...job, RANK: '4' }, 'RANK=4 is not an integer in [0, 3]'],
  [{ ...job, RANK: '-1' }, 'RANK=-1 is not an integer in [0, 3]'],
  [{ ...job, WORLD_SIZE: 'two' }, 'WORLD_SIZE=two is not an integer in [1, 1048576]'],
  [{ ...job, WORLD_SIZE: undefined }, 'WORLD_SIZE is not set'],
  [{ ...job, RANK: undefined }, 'RANK is not set'],
  [{ ...job, MASTER_ADDR: '' }, 'MASTER_ADDR is not set'],
  [{ ...job, MASTER_PORT: '70000' }, 'MASTER_PORT=70000 is not an integer in [1, 65535]'],
  [{ ...job, LOCAL_RANK: '1.5' }, 'LOCAL_RANK=1.5 is not an integer in [0, 3]'],
])('%j: %s', (env, message) => {
  expect(() => workerEnvironment(env)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT', message: expect.stringContaining(message) }));
});
