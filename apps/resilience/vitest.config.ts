import { packageTests } from '../../vitest.shared.js';

const full = process.env.SIZE === 'full';

export default packageTests({
  // One file at a time: the files measure heap, handles and latency, and the machine is shared.
  fileParallelism: false,
  // The full size runs a 10-minute soak and a 5,000-client storm in single tests.
  testTimeout: full ? 30 * 60_000 : 60_000,
  hookTimeout: full ? 120_000 : 30_000,
  // Heap figures are taken after full collections.
  poolOptions: { forks: { execArgv: ['--expose-gc'] } },
});
