export {
  CORS_ORIGIN,
  type ContractHarness,
  type ContractOptions,
  type ContractServer,
  createContractBroker,
  handleControl,
  localServer,
  remoteServer,
  streamOptionsFromUrl,
} from './app.js';
export { runContractSuite } from './suite.js';
