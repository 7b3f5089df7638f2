import { packageTests } from '../../vitest.shared.js';

export default packageTests({
  // Builds the page once (esbuild, well under a second) before any test opens it.
  globalSetup: ['test/helpers/build-page.ts'],
  // One browser and one server at a time: the machine is small and shared.
  fileParallelism: false,
});
