/**
 * Renders a page component to a full HTML document: the `_app` layout around it, the
 * serialized island props and the island bundle's script tag when islands were used,
 * carrying the response's CSP nonce.
 *
 * @module
 */
import { type ComponentType, h } from "preact";
import { renderToString } from "preact-render-to-string";
import { collectIslands, IslandCollector, PROPS_SCRIPT_ID, serializeProps } from "./islands.ts";
import type { AnyVNode, AppProps } from "./types.ts";

/** Options for {@linkcode renderDocument}. */
export interface RenderOptions {
  /** `routes/_app.tsx`'s default export; without it the page is the whole body. */
  app?: ComponentType<AppProps>;
  url: URL;
  /** The island bundle's URL path, included when the page uses an island. */
  bundlePath?: string;
  /** This response's CSP nonce, written on the bundle's script tag. */
  nonce?: string;
}

/** Renders `page` inside the layout; returns the HTML document. */
export function renderDocument(page: AnyVNode, options: RenderOptions): string {
  const collector = new IslandCollector();
  const body = collectIslands(collector, () =>
    renderToString(
      options.app ? h(options.app, { url: options.url, children: page }) : page,
    ));
  let scripts = "";
  if (collector.used && options.bundlePath) {
    scripts = `<script type="application/json" id="${PROPS_SCRIPT_ID}">${
      serializeProps(collector.props)
    }</script><script type="module"${
      options.nonce ? ` nonce="${escapeAttribute(options.nonce)}"` : ""
    } src="${options.bundlePath}"></script>`;
  }
  // The layout renders <html>…</html>; the scripts go right before </body>.
  const html = body.includes("</body>")
    ? body.replace(/<\/body>(?![\s\S]*<\/body>)/, `${scripts}</body>`)
    : body + scripts;
  return `<!DOCTYPE html>${html}`;
}

function escapeAttribute(value: string): string {
  return value.replace(/[&"<>]/g, (char) => `&#${char.charCodeAt(0)};`);
}
