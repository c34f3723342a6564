export {
  type FacebookActivity,
  type FacebookClient,
  type FacebookErrorDetails,
  FacebookTokenError,
  FacebookUnavailableError,
} from './facebook-client.js';
export {
  GraphApiFacebookClient,
  type GraphApiFacebookClientOptions,
  type GraphError,
  classifyGraphError,
  POST_FIELDS,
} from './graph-api-facebook-client.js';
export { type ActivityLevel, type SignalLevel, type SignalLevels, SIGNAL_THRESHOLDS, toSignalLevels } from './signal-levels.js';
export { TokenCipher, TokenCipherError, parseTokenKey } from './token-cipher.js';
