/** The page for any URL no route matches. */
export default function NotFound({ url }: { url: URL }) {
  return (
    <main class="page narrow">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{url.pathname}</code>. <a href="/">Back to the shop</a>
      </p>
    </main>
  );
}
