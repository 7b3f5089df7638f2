import { packageTests } from '../../vitest.shared.js';

// --expose-gc: the memory tests compare heaps after forced collections.
export default packageTests({ poolOptions: { forks: { execArgv: ['--expose-gc'] } } });
