/**
 * Security headers on every response, through Hono's `secureHeaders`: a Content
 * Security Policy whose only script is the island bundle, allowed by a nonce made for
 * each response (`renderDocument` writes it on the `<script type="module">`; the island
 * props are a JSON data block, which a CSP does not treat as script), no framing by
 * any site, no MIME sniffing, no referrer sent to other origins.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { NONCE, secureHeaders } from "hono/secure-headers";

/** A CSP as directive name (camelCase, as Hono spells them) to sources. */
export type ContentSecurityPolicy = Record<string, string[]>;

/**
 * The default policy. `style-src` allows inline styles: pages set per-item colours and
 * bar widths in `style` attributes and uPlot positions its cursor the same way; a style
 * cannot run code, and scripts (the XSS vector) stay locked to the nonce.
 */
export const DEFAULT_CSP: ContentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: [], // the per-response nonce only
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"], // includes ws:/wss: to this host (CSP 3)
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Options for {@linkcode securityHeaders}. */
export interface SecurityHeadersOptions {
  /** Directives to replace in {@linkcode DEFAULT_CSP} (same names). */
  contentSecurityPolicy?: ContentSecurityPolicy;
}

/** The Hono middleware that sets the headers after the response is made. */
export function securityHeaders(options: SecurityHeadersOptions = {}): MiddlewareHandler {
  const policy = { ...DEFAULT_CSP, ...options.contentSecurityPolicy };
  return secureHeaders({
    contentSecurityPolicy: { ...policy, scriptSrc: [...policy.scriptSrc, NONCE] },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
    // HSTS is the TLS terminator's to set: sent from here over plain HTTP it means
    // nothing, and `includeSubDomains` would bind hosts this app does not serve.
    strictTransportSecurity: false,
  });
}

/** The nonce of this response's CSP (set by {@linkcode securityHeaders} before routing). */
export function cspNonce(c: Context): string | undefined {
  return c.get("secureHeadersNonce");
}
