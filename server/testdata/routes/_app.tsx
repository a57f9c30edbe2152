import type { AppProps } from "../../mod.ts";

export default function App({ children }: AppProps) {
  return (
    <html>
      <head>
        <title>fixture</title>
      </head>
      <body>
        <div id="layout">{children}</div>
      </body>
    </html>
  );
}
