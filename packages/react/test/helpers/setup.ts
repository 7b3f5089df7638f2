import { Buffer } from 'node:buffer';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// Vitest's jsdom environment puts jsdom's `Uint8Array` on globalThis, while Node's own APIs
// (`Buffer`, `TextEncoder`) keep returning Node's: the ssekit server these tests run in the same
// process would see its encoded bytes fail `instanceof Uint8Array`. Browsers and Node have one
// `Uint8Array`; give the test process Node's back.
if (!(Buffer.alloc(0) instanceof Uint8Array)) globalThis.Uint8Array = Object.getPrototypeOf(Buffer.prototype).constructor;

// Vitest runs without globals, so @testing-library/react cannot register its own cleanup:
// unmount what each test rendered, so no component (and no connection) outlives it.
afterEach(() => cleanup());
