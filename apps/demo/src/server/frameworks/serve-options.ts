import type { Demo } from '../demo.js';

/** Where a framework's server listens and what it serves. */
export interface ServeOptions {
  port: number;
  host: string;
  /** The built page (`dist/public`). */
  publicDir: string;
}

/** A listening server. */
export interface RunningServer {
  /** The port it listens on (the real one when 0 was asked for). */
  port: number;
  /** Stops listening and waits for open requests to end. Close the demo's broker first. */
  close(): Promise<void>;
}

/** One framework's wiring: the stream route, the POST routes and the static page. */
export type Serve = (demo: Demo, options: ServeOptions) => Promise<RunningServer>;
