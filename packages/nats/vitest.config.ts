import { packageTests } from '../../vitest.shared.js';

// Each file starts its own redis-server and server processes: one file at a time keeps the
// machine (and the timings) calm.
export default packageTests({ fileParallelism: false });
