// Setup file of the React 18 run: CommonJS code (`@testing-library/react`, react-dom) requires
// `react` and `react-dom` by name, which pnpm links to the React 19 devDependencies. Send those
// requires to the React 18 copies, as the config's aliases do for the ES modules.
import Module from 'node:module';

type Resolve = (request: string, ...rest: unknown[]) => string;
const copies: Record<string, string | undefined> = {
  react: process.env.SSEKIT_REACT_18,
  'react-dom': process.env.SSEKIT_REACT_DOM_18,
};
const internals = Module as unknown as { _resolveFilename: Resolve };
const resolve = internals._resolveFilename;
internals._resolveFilename = function (this: unknown, request, ...rest) {
  const match = /^(react|react-dom)(\/.*)?$/.exec(request);
  const copy = match ? copies[match[1] as string] : undefined;
  return resolve.call(this, copy ? `${copy}${match?.[2] ?? ''}` : request, ...rest);
};
