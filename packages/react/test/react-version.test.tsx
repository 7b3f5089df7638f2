import { createRequire } from 'node:module';
import { version } from 'react';
import { version as domVersion } from 'react-dom';
import { version as serverVersion } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

// The run is really on the React its config names (React 19, or 18 through the aliases), and
// react-dom and @testing-library/react use that same copy.
describe('the React under test', () => {
  it(`is React ${process.env.SSEKIT_REACT_MAJOR}`, () => {
    const major = process.env.SSEKIT_REACT_MAJOR;
    expect(major).toMatch(/^1[89]$/);
    expect(version.split('.')[0]).toBe(major);
    expect(domVersion).toBe(version);
    expect(serverVersion).toBe(version);
    const fromHere = createRequire(import.meta.url);
    const required = createRequire(fromHere.resolve('@testing-library/react'))('react') as { version: string };
    expect(required.version).toBe(version);
  });
});
