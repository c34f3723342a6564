import { DeletionRequest } from './deletion-request.js';
import { Profile } from './profile.js';

export { DeletionRequest, Profile };
export const entities = [Profile, DeletionRequest];
