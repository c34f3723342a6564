import { RefreshToken } from './refresh-token.js';
import { SigningKey } from './signing-key.js';
import { User } from './user.js';

export { RefreshToken, SigningKey, User };
export const entities = [User, RefreshToken, SigningKey];
