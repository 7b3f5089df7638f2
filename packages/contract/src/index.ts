export {
  afterOpen,
  CORS_ORIGIN,
  type ContractHarness,
  type ContractOptions,
  type ContractServer,
  createContractBroker,
  handleControl,
  localServer,
  PIPE_FAILURE_MESSAGE,
  PIPED_TOKENS,
  remoteServer,
  streamOptionsFromUrl,
} from './app.js';
export { runContractSuite } from './suite.js';
