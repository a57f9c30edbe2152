import type { ComponentChildren } from "preact";

/** The shop's page frame: its stylesheet, a header with the shop's name, the content. */
export function ShopFrame({ children }: { children: ComponentChildren }) {
  return (
    <>
      <link rel="stylesheet" href="/shop.css" />
      <header class="shop-header">
        <a class="shop-brand" href="/">Funnel &amp; Co.</a>
        <nav>
          <a href="/dashboard">Dashboard</a>
        </nav>
      </header>
      <main class="page shop">{children}</main>
    </>
  );
}
