export default function NotFound({ url }: { url: URL }) {
  return <p id="not-found">No page at {url.pathname}</p>;
}
