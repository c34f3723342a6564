export {
  type FacebookActivity,
  type FacebookClient,
  type FacebookErrorDetails,
  FacebookTokenError,
  FacebookUnavailableError,
} from './facebook-client.js';
export {
  classifyGraphError,
  GraphApiFacebookClient,
  type GraphApiFacebookClientOptions,
  type GraphError,
  POST_FIELDS,
} from './graph-api-facebook-client.js';
export { type ActivityLevel, SIGNAL_THRESHOLDS, type SignalLevel, type SignalLevels, toSignalLevels } from './signal-levels.js';
export { parseTokenKey, TokenCipher, TokenCipherError } from './token-cipher.js';
