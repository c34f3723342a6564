import type { FacebookLink } from '../entities/index.js';

export interface FacebookConnectionView {
  connected: boolean;
  facebookUserId: string | null;
  connectedAt: Date | null;
  disconnectedAt: Date | null;
}

export const toConnectionView = (link: FacebookLink | null): FacebookConnectionView => ({
  connected: !!link?.encryptedToken,
  facebookUserId: link?.encryptedToken ? (link.facebookUserId ?? null) : null,
  connectedAt: link?.encryptedToken ? (link.connectedAt ?? null) : null,
  disconnectedAt: link?.disconnectedAt ?? null,
});
