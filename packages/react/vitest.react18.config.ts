import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { UserConfig } from 'vitest/config';
import { packageTests } from '../../vitest.shared.js';

const require = createRequire(import.meta.url);
const react18 = dirname(require.resolve('react-18/package.json'));
const reactDom18 = dirname(require.resolve('react-dom-18/package.json'));

/**
 * The same tests on React 18: the devDependency aliases `react-18` and `react-dom-18` stand in for
 * `react` and `react-dom`, for the tests and the package's source (Vite's aliases) and for the
 * CommonJS packages that require them, `@testing-library/react` and react-dom itself
 * (`test/helpers/react-18.ts`).
 */
const config = packageTests({
  include: ['test/**/*.test.{ts,tsx}'],
  environment: 'jsdom',
  env: { SSEKIT_REACT_MAJOR: '18', SSEKIT_REACT_18: react18, SSEKIT_REACT_DOM_18: reactDom18 },
  setupFiles: ['test/helpers/react-18.ts', 'test/helpers/setup.ts'],
});

const react18Config: UserConfig = {
  ...config,
  resolve: {
    alias: [
      { find: /^react(\/.*)?$/, replacement: `${react18}$1` },
      { find: /^react-dom(\/.*)?$/, replacement: `${reactDom18}$1` },
    ],
  },
};

export default react18Config;
