import type { Framework } from '../shared/events.js';
import type { DemoOptions } from './demo.js';
import { createDemo } from './demo.js';
import { servers } from './frameworks/servers.js';

/** Options of {@link startDemo}. */
export interface StartOptions extends DemoOptions {
  framework: Framework;
  /** `0` picks a free port. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The built page (`dist/public`, made by `scripts/build.mjs`). */
  publicDir: string;
}

/** A running demo server. */
export interface RunningDemo {
  framework: Framework;
  port: number;
  /** Ends every stream gracefully (clients see the end), then stops the server. */
  close(): Promise<void>;
}

/**
 * Starts one framework's server around a fresh demo broker. The broker closes before the server:
 * `server.close()` waits for open requests, and event streams would keep it waiting forever.
 */
export async function startDemo(options: StartOptions): Promise<RunningDemo> {
  const demo = createDemo(options.framework, options);
  try {
    const server = await servers[options.framework](demo, {
      port: options.port,
      host: options.host ?? '127.0.0.1',
      publicDir: options.publicDir,
    });
    return {
      framework: options.framework,
      port: server.port,
      async close() {
        await demo.close();
        await server.close();
      },
    };
  } catch (error) {
    await demo.close();
    throw error;
  }
}
