import type { AppState } from "../lib/app_state.ts";
import { clientOf } from "../lib/client_address.ts";
import { constantTimeEqual, SESSION_COOKIE, sessionValue } from "../lib/auth.ts";
import type { Handlers, PageProps } from "../server/mod.ts";

interface LoginData {
  next: string;
  error?: string;
}

/** Only same-site paths: `next` must not send the visitor elsewhere. */
function safeNext(value: string | null | undefined): string {
  return value && value.startsWith("/") && !value.startsWith("//") && !value.includes("\\")
    ? value
    : "/dashboard";
}

/** `GET/POST /login`: the token form that sets the dashboard's HttpOnly session cookie. */
export const handler: Handlers<AppState> = {
  GET({ url, state }) {
    const next = safeNext(url.searchParams.get("next"));
    if (!state.config.dashboardToken) {
      return new Response(null, { status: 303, headers: { location: next } });
    }
    return { data: { next } satisfies LoginData };
  },
  async POST(ctx) {
    const { req, state } = ctx;
    const token = state.config.dashboardToken;
    const form = await req.formData().catch(() => new FormData());
    const next = safeNext(String(form.get("next") ?? ""));
    if (!token) return new Response(null, { status: 303, headers: { location: next } });
    const given = String(form.get("token") ?? "");
    if (!constantTimeEqual(given, token)) {
      return { data: { next, error: "That token is not right" } satisfies LoginData, status: 401 };
    }
    const secure = clientOf(ctx, state.trust).secure ? "; Secure" : "";
    return new Response(null, {
      status: 303,
      headers: {
        location: next,
        "set-cookie": `${SESSION_COOKIE}=${await sessionValue(
          token,
        )}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000${secure}`,
      },
    });
  },
};

/** The login form. */
export default function Login({ data }: PageProps<LoginData>) {
  return (
    <main class="page narrow">
      <h1>Dashboard sign-in</h1>
      <p>The dashboard is protected by a token (the server's DASHBOARD_TOKEN).</p>
      <form method="post" action="/login">
        <input type="hidden" name="next" value={data.next} />
        <p>
          <label>
            Token{" "}
            <input
              type="password"
              name="token"
              autocomplete="current-password"
              required
              autofocus
            />
          </label>{" "}
          <button type="submit">Sign in</button>
        </p>
        {data.error ? <p role="alert" class="error">{data.error}</p> : null}
      </form>
    </main>
  );
}
