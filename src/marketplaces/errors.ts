/**
 * How a marketplace call can fail, as the run reports it. Messages never carry a credential:
 * the HTTP client scrubs them before they are built.
 */

/** 401/403: retrying cannot help, the key (or its role/category) must be fixed. */
export class MarketplaceAuthError extends Error {
  override name = "MarketplaceAuthError";
}

/** Any other refusal or a retry budget spent (5xx, timeouts, 429s). */
export class MarketplaceApiError extends Error {
  override name = "MarketplaceApiError";
  constructor(message: string, readonly status: number | null) {
    super(message);
  }
}

/** A 2xx whose body is not the documented envelope (a page we cannot read at all). */
export class MarketplaceProtocolError extends Error {
  override name = "MarketplaceProtocolError";
}
