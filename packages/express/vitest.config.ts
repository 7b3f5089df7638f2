import { packageTests } from '../../vitest.shared.js';

// --expose-gc: a test checks that an open stream no longer keeps the router's state alive.
export default packageTests({ poolOptions: { forks: { execArgv: ['--expose-gc'] } } });
