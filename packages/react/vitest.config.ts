import { packageTests } from '../../vitest.shared.js';

/** React 19 (the package's own devDependency); `vitest.react18.config.ts` runs the same tests on 18. */
export default packageTests({
  include: ['test/**/*.test.{ts,tsx}'],
  environment: 'jsdom',
  env: { SSEKIT_REACT_MAJOR: '19' },
  setupFiles: ['test/helpers/setup.ts'],
});
