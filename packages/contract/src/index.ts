export {
  afterOpen,
  CORS_ORIGIN,
  type ContractHarness,
  type ContractLog,
  type ContractOptions,
  type ContractServer,
  contractLog,
  createContractBroker,
  handleControl,
  localServer,
  PIPE_FAILURE_MESSAGE,
  PIPED_TOKENS,
  remoteServer,
  sourceFromUrl,
  streamOptionsFromUrl,
} from './app.js';
export { runContractSuite } from './suite.js';
