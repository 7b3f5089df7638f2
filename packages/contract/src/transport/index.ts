/**
 * The transport contract: one suite every distributed transport runs against its own server
 * processes, so a new engine costs only its harness.
 *
 * @module
 */
export type { TransportHarness, TransportServer, TransportTestOptions } from './harness.js';
export { runTransportSuite } from './suite.js';
